from __future__ import annotations

from typing import cast

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ApplicationError
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema

from .actions import do_issue_api_token
from .models import User


class TokenApi(APIView):
    """Exchange a tenant user's email and password for an API token (`Authorization: Token <key>`)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class TokenInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=TokenInputSerializer, responses={200: TokenOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check_rate(current_schema(), "token", request.META.get("REMOTE_ADDR", ""), 30, 60)
        user = authenticate(
            request._request, username=data.validated_data["email"].lower(), password=data.validated_data["password"]
        )
        if user is None:
            raise ApplicationError(_("Wrong email or password."), code="bad_credentials", status=401)
        assert isinstance(user, User)
        return Response({"token": do_issue_api_token(user)})


class MeApi(APIView):
    class MeOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        role = serializers.CharField()
        tenant = serializers.DictField()

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        tenant = request.tenant  # type: ignore[attr-defined]
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "role": user.role,
                "tenant": {"name": tenant.name, "subdomain": tenant.subdomain},
            }
        )
