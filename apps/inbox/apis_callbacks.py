"""REST API of callbacks: `POST /api/v1/callbacks`, `GET /api/v1/callbacks/<id>`,
`POST /api/v1/callbacks/<id>/cancel`, and the dialling agent's `POST /api/v1/callbacks/<id>/result`.
Authenticated as the rest of /api/v1 (a tenant API token or a signed-in user)."""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.routing.models import Queue

from .actions.callbacks import RESULTS, do_cancel_callback, do_record_callback_result, do_request_callback
from .models import Callback, Contact, Interaction
from .selectors import callback_payload


def _callback(pk: int) -> Callback:
    return get_object_or_404(Callback.objects.select_related("interaction"), pk=pk)


class CallbacksApi(APIView):
    class RequestSerializer(serializers.Serializer):
        queue = serializers.PrimaryKeyRelatedField(
            queryset=Queue.objects.all(), error_messages={"does_not_exist": "Unknown queue {pk_value}."}
        )
        phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
        contact = serializers.PrimaryKeyRelatedField(
            queryset=Contact.objects.filter(merged_into__isnull=True), required=False, allow_null=True
        )
        scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
        interaction = serializers.PrimaryKeyRelatedField(
            queryset=Interaction.objects.all(),
            required=False,
            allow_null=True,
            help_text="The waiting conversation this callback replaces: it keeps that one's place.",
        )

    @extend_schema(request=RequestSerializer, responses={201: serializers.DictField(), 200: serializers.DictField()})
    def post(self, request: Request) -> Response:
        data = self.RequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        callback, created = do_request_callback(
            queue=values["queue"],
            phone=values.get("phone", ""),
            contact=values.get("contact"),
            scheduled_at=values.get("scheduled_at"),
            source_interaction=values.get("interaction"),
            actor=cast(User, request.user),
        )
        callback = _callback(callback.pk)
        return Response(callback_payload(callback), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CallbackApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        return Response(callback_payload(_callback(pk)))


class CallbackCancelApi(APIView):
    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        callback = do_cancel_callback(_callback(pk).pk, cast(User, request.user))
        return Response(callback_payload(_callback(callback.pk)))


class CallbackResultApi(APIView):
    class ResultSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=RESULTS)

    @extend_schema(request=ResultSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data = self.ResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        callback = do_record_callback_result(_callback(pk).pk, cast(User, request.user), data.validated_data["result"])
        return Response(callback_payload(_callback(callback.pk)))
