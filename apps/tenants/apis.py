from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .actions import do_signup
from .selectors import tenant_url
from .signup import client_address, throttle_signup
from .validation import check_signup


class SignupApi(APIView):
    """A business signs itself up: creates its tenant, host and owner account."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class SignupInputSerializer(serializers.Serializer):
        company_name = serializers.CharField()
        subdomain = serializers.CharField()
        email = serializers.EmailField()
        password = serializers.CharField()

    @extend_schema(
        request=SignupInputSerializer,
        responses={
            201: inline_serializer(
                "SignupOutput",
                {
                    "tenant": inline_serializer(
                        "SignupTenant", {"subdomain": serializers.CharField(), "url": serializers.URLField()}
                    )
                },
            ),
            400: OpenApiResponse(description='{"error": {"code", "message", "fields"}}'),
            429: OpenApiResponse(description="Too many sign-ups from this address."),
        },
    )
    def post(self, request: Request) -> Response:
        throttle_signup(client_address(request._request))
        result = do_signup(check_signup(request.data))
        return Response(
            {"tenant": {"subdomain": result.tenant.subdomain, "url": tenant_url(result.tenant)}},
            status=status.HTTP_201_CREATED,
        )
