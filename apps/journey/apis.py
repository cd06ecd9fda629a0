"""REST API of journey: a contact's timeline, and events from the business's backend."""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsTenantAdmin
from apps.inbox.models import Contact
from apps.inbox.selectors import contact_payload

from .actions import do_record_contact_events, do_save_journey_settings
from .models import JourneySettings
from .selectors import contact_journey, journey_summary, parse_filters, readable_contact


class ContactJourneyApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("channel", str, description="Comma-separated: chat, voice, video, email, ..., web"),
            OpenApiParameter("category", str, description="A disposition's name or a label"),
            OpenApiParameter("outcome", str, description="open, waiting, resolved, abandoned, transferred"),
            OpenApiParameter("since", str, description="ISO 8601 with time zone"),
            OpenApiParameter("until", str, description="ISO 8601 with time zone"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
            OpenApiParameter("limit", int, description="1 to 100 entries (25)"),
        ],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request, pk: int) -> Response:
        contact = readable_contact(cast(User, request.user), pk)
        filters = parse_filters(request.query_params)
        page = contact_journey(contact, filters)
        return Response(
            {
                "contact": contact_payload(contact),
                "summary": journey_summary(contact),
                **page,
            }
        )


class ContactEventsApi(APIView):
    """Events about a known customer from the business's backend: one event ({name, at, properties})
    or {"events": [...]} with up to 100 (64 KB); stored whole or not at all."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        contact = get_object_or_404(Contact, pk=pk)
        stored = do_record_contact_events(cast(User, request.user), contact, request.data)
        return Response({"recorded": len(stored)}, status=status.HTTP_201_CREATED)


class JourneySettingsApi(APIView):
    """How long web events are kept and which query parameters page addresses keep (owners, admins)."""

    permission_classes = [IsTenantAdmin]

    class SettingsSerializer(serializers.Serializer):
        web_event_retention_days = serializers.IntegerField(required=False)
        allowed_query_params = serializers.ListField(child=serializers.CharField(), required=False)

    @staticmethod
    def _payload(current: JourneySettings) -> dict[str, object]:
        return {
            "web_event_retention_days": current.web_event_retention_days,
            "allowed_query_params": list(current.allowed_query_params),
        }

    @extend_schema(responses={200: SettingsSerializer})
    def get(self, request: Request) -> Response:
        return Response(self._payload(JourneySettings.current()))

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer})
    def patch(self, request: Request) -> Response:
        data = self.SettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        current = do_save_journey_settings(cast(User, request.user), **data.validated_data)
        return Response(self._payload(current))
