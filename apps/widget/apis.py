"""REST API of widget keys: `GET/POST /api/v1/widget-keys`, `GET/PATCH /api/v1/widget-keys/<id>`
(admins). The same validation as the settings pages: origins are stored normalised."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsTenantAdmin
from apps.routing.models import Queue

from .actions import do_create_widget_key, do_update_widget_key
from .models import DEFAULT_GREETING, WidgetKey


def snippet(request: Request, wk: WidgetKey) -> str:
    return f'<script src="{request.scheme}://{request.get_host()}/widget.js" data-key="{wk.public_key}" async></script>'


def key_payload(request: Request, wk: WidgetKey) -> dict[str, Any]:
    return {
        "id": wk.pk,
        "name": wk.name,
        "public_key": wk.public_key,
        "secret": wk.secret,
        "queue": wk.queue_id,
        "allowed_origins": wk.allowed_origins,
        "enabled": wk.enabled,
        "prechat_form": wk.prechat_form,
        "greeting": wk.greeting,
        "greetings": wk.greetings,
        "snippet": snippet(request, wk),
        "tenant": getattr(connection, "schema_name", ""),
    }


class WidgetKeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all())
    allowed_origins = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)
    enabled = serializers.BooleanField(default=True)
    prechat_form = serializers.BooleanField(default=False)
    greeting = serializers.CharField(max_length=200, default=DEFAULT_GREETING)
    greetings = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text="The greeting in other languages by language code (e.g. zh-hans); an empty text removes one.",
    )


class WidgetKeyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    public_key = serializers.CharField()
    secret = serializers.CharField()
    queue = serializers.IntegerField()
    allowed_origins = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    prechat_form = serializers.BooleanField()
    greeting = serializers.CharField()
    greetings = serializers.DictField(child=serializers.CharField())
    snippet = serializers.CharField()
    tenant = serializers.CharField()


class WidgetKeyListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: WidgetKeyOutput(many=True)})
    def get(self, request: Request) -> Response:
        return Response([key_payload(request, wk) for wk in WidgetKey.objects.order_by("pk")])

    @extend_schema(request=WidgetKeyInput, responses={201: WidgetKeyOutput})
    def post(self, request: Request) -> Response:
        data = WidgetKeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        wk = do_create_widget_key(cast(User, request.user), **data.validated_data)
        return Response(key_payload(request, wk), status=status.HTTP_201_CREATED)


class WidgetKeyDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: WidgetKeyOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(key_payload(request, get_object_or_404(WidgetKey, pk=pk)))

    @extend_schema(request=WidgetKeyInput(partial=True), responses={200: WidgetKeyOutput})
    def patch(self, request: Request, pk: int) -> Response:
        wk = get_object_or_404(WidgetKey, pk=pk)
        data = WidgetKeyInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        wk = do_update_widget_key(cast(User, request.user), wk, **data.validated_data)
        return Response(key_payload(request, wk))
