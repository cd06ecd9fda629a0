from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ApplicationError
from apps.core.ratelimit import check_rate

from .actions import do_issue_api_token
from .models import User


class TokenApi(APIView):
    """Exchange a tenant user's email and password for an API token (`Authorization: Token <key>`)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check_rate(connection.schema_name, "token", request.META.get("REMOTE_ADDR", ""), 30, 60)
        user = authenticate(request._request, username=data.validated_data["email"].lower(),
                            password=data.validated_data["password"])
        if user is None:
            raise ApplicationError(_("Wrong email or password."), code="bad_credentials", status=401)
        assert isinstance(user, User)
        return Response({"token": do_issue_api_token(user)})


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        role = serializers.CharField()
        tenant = serializers.DictField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        user = request.user
        tenant = request.tenant  # type: ignore[attr-defined]
        return Response({"id": user.pk, "email": user.email, "full_name": user.full_name, "role": user.role,
                         "tenant": {"name": tenant.name, "subdomain": tenant.subdomain}})
