"""REST API of journey: a contact's timeline, events from the business's backend, the journey
settings and the proactive engagement rules with their counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.permissions import IsSupervisor, IsTenantAdmin
from apps.inbox.models import Contact
from apps.inbox.selectors import contact_payload

from .actions import do_record_contact_events, do_save_journey_settings
from .engagement import do_delete_engagement_rule, do_save_engagement_rule, rule_or_404
from .models import JourneySettings
from .selectors import engagement_stats, journey_with_summary, parse_filters, readable_contact, rule_payload


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
        return Response({"contact": contact_payload(contact), **journey_with_summary(contact, filters)})


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


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("days")
    if raw in (None, ""):
        return None
    if not str(raw).isdigit() or not 1 <= int(raw) <= 3650:
        raise ValidationFailed(_("days: a whole number from 1 to 3,650."), fields={"days": [_("From 1 to 3,650.")]})
    return timezone.now() - timedelta(days=int(raw))


def _rule_fields(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("Send a JSON object."))
    return dict(request.data)


class EngagementRulesApi(APIView):
    """Proactive engagement rules, each with its counts (shown, dismissed, accepted, converted):
    supervisors and up read them; owners and admins create them."""

    def get_permissions(self) -> list[Any]:
        return [IsSupervisor()] if self.request.method == "GET" else [IsTenantAdmin()]

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="Count invitations of the last N days (all time)")],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request) -> Response:
        return Response({"results": engagement_stats(since=_since(request))})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        rule = do_save_engagement_rule(cast(User, request.user), None, **_rule_fields(request))
        return Response(rule_payload(rule), status=status.HTTP_201_CREATED)


class EngagementRuleApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsSupervisor()] if self.request.method == "GET" else [IsTenantAdmin()]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        rule = rule_or_404(pk)
        found = [r for r in engagement_stats(since=_since(request)) if r["id"] == rule.pk]
        return Response(found[0])

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int) -> Response:
        rule = do_save_engagement_rule(cast(User, request.user), rule_or_404(pk), **_rule_fields(request))
        return Response(rule_payload(rule))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        do_delete_engagement_rule(cast(User, request.user), rule_or_404(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
