"""REST API of routing: queues with their steps and hours, interactions for routing, offers, status."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.permissions import IsSupervisor, IsTenantAdmin
from apps.inbox.actions import check_can_work_on, do_open_interaction
from apps.inbox.models import Contact, Interaction

from .actions import (
    do_accept_offer,
    do_assign_interaction,
    do_complete_interaction,
    do_pick_interaction,
    do_reject_offer,
)
from .actions_settings import (
    do_delete_business_hours,
    do_delete_interaction_attribute,
    do_save_business_hours,
    do_save_interaction_attribute,
)
from .expressions import ExpressionError, known_names, parse
from .hours import check_weekly
from .models import BusinessHours, Holiday, InteractionAttribute, Queue, RoutingStep
from .queue_actions import do_create_queue, do_update_queue
from .selectors import estimated_wait_seconds, queue_position, queue_status


def _actor(serializer: serializers.BaseSerializer) -> User | None:
    request = serializer.context.get("request")
    return cast(User, request.user) if request is not None else None


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoutingStep
        fields = ["expression", "duration_seconds"]

    def validate_expression(self, value: str) -> str:
        try:
            parse(value, self.context["known"] if "known" in self.context else known_names())
        except ExpressionError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class BusinessHoursSerializer(serializers.ModelSerializer):
    holidays = HolidaySerializer(many=True, required=False)

    class Meta:
        model = BusinessHours
        fields = ["id", "name", "timezone", "weekly", "holidays"]

    def validate_weekly(self, value: Any) -> Any:
        errors = check_weekly(value)
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate_holidays(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        dates = [h["date"] for h in value]
        if len(dates) != len(set(dates)):
            raise serializers.ValidationError(_("Each date may be listed once."))
        return value

    def create(self, validated_data: dict[str, Any]) -> BusinessHours:
        holidays = validated_data.pop("holidays", None)
        return do_save_business_hours(_actor(self), validated_data, holidays=holidays)

    def update(self, instance: BusinessHours, validated_data: dict[str, Any]) -> BusinessHours:
        holidays = validated_data.pop("holidays", None)
        return do_save_business_hours(_actor(self), validated_data, holidays=holidays, hours=instance)


class QueueSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, required=False)

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "priority",
            "sla_percent",
            "sla_seconds",
            "business_hours",
            "max_wait_seconds",
            "max_size",
            "overflow_action",
            "overflow_queue",
            "wrap_up_seconds",
            "offer_timeout_seconds",
            "preferred_agent_wait_seconds",
            "prefer_last_agent",
            "priority_aging_per_minute",
            "record_calls",
            "steps",
            "members",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        action_ = attrs.get("overflow_action", getattr(self.instance, "overflow_action", "none"))
        target = attrs.get("overflow_queue", getattr(self.instance, "overflow_queue", None))
        if action_ == Queue.Overflow.QUEUE and target is None:
            raise serializers.ValidationError({"overflow_queue": [_("Choose the queue to overflow to.")]})
        if target is not None and self.instance is not None and target.pk == self.instance.pk:
            raise serializers.ValidationError({"overflow_queue": [_("A queue cannot overflow into itself.")]})
        return attrs

    def _actor(self) -> User | None:
        request = self.context.get("request")
        return cast(User, request.user) if request is not None else None

    def create(self, validated_data: dict[str, Any]) -> Queue:
        steps = validated_data.pop("steps", None)
        members = validated_data.pop("members", None)
        return do_create_queue(validated_data, steps=steps, members=members, actor=self._actor())

    def update(self, instance: Queue, validated_data: dict[str, Any]) -> Queue:
        steps = validated_data.pop("steps", None)
        members = validated_data.pop("members", None)
        return do_update_queue(instance, validated_data, steps=steps, members=members, actor=self._actor())


class QueueViewSet(viewsets.ModelViewSet):
    queryset = Queue.objects.prefetch_related("steps", "members")
    serializer_class = QueueSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def get_permissions(self) -> list[Any]:
        return [IsSupervisor()] if self.action in {"list", "retrieve", "status"} else [IsTenantAdmin()]

    @extend_schema(responses={200: serializers.DictField()})
    @action(detail=True, methods=["get"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        return Response(queue_status(self.get_object()))

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description='Still used by interactions or widgets: {"error": {...}}'),
        }
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from .queue_removal import do_delete_queue

        do_delete_queue(self.get_object(), actor=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BusinessHoursViewSet(viewsets.ModelViewSet):
    """Deleting hours that queues follow answers 409 business_hours_in_use."""

    queryset = BusinessHours.objects.prefetch_related("holidays")
    serializer_class = BusinessHoursSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: BusinessHours) -> None:
        do_delete_business_hours(cast(User, self.request.user), instance)


class InteractionAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = InteractionAttribute
        fields = ["id", "name", "type"]
        # Names are identifiers in routing expressions; say so in the owner's words.
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "name": {
                "error_messages": {
                    "invalid": gettext_lazy("Use only letters, digits, dashes and underscores, without spaces.")
                }
            }
        }

    def create(self, validated_data: dict[str, Any]) -> InteractionAttribute:
        return do_save_interaction_attribute(
            _actor(self), name=validated_data["name"], type=validated_data.get("type", InteractionAttribute.Type.TEXT)
        )

    def update(self, instance: InteractionAttribute, validated_data: dict[str, Any]) -> InteractionAttribute:
        values = {k: validated_data.get(k, getattr(instance, k)) for k in ("name", "type")}
        return do_save_interaction_attribute(_actor(self), attribute=instance, **values)


class InteractionAttributeViewSet(viewsets.ModelViewSet):
    """Deleting an attribute routing steps test answers 409 interaction_attribute_in_use."""

    queryset = InteractionAttribute.objects.all()
    serializer_class = InteractionAttributeSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: InteractionAttribute) -> None:
        do_delete_interaction_attribute(cast(User, self.request.user), instance)


def interaction_payload(interaction: Interaction) -> dict[str, Any]:
    position = queue_position(interaction)
    ewt = (
        estimated_wait_seconds(interaction.queue, position, interaction.channel)
        if position is not None and interaction.queue
        else None
    )
    return {
        "id": interaction.pk,
        "channel": interaction.channel,
        "queue": interaction.queue_id,
        "routing_status": interaction.routing_status,
        "priority": interaction.priority,
        "attributes": interaction.attributes,
        "case_id": str(interaction.case_id),
        "contact": interaction.contact_id,
        "assignee": interaction.assignee_id,
        "position": position,
        "ewt_seconds": ewt,
    }


class InteractionCreateApi(APIView):
    """Create an interaction in any channel and route it (integrations: IVR, email gateway, CRM)."""

    class EnqueueInputSerializer(serializers.Serializer):
        channel = serializers.CharField()
        queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all())
        priority = serializers.IntegerField(default=0, min_value=-1000, max_value=1000)
        attributes = serializers.JSONField(required=False)
        preferred_agent = serializers.PrimaryKeyRelatedField(
            queryset=AgentProfile.objects.all(), required=False, allow_null=True
        )
        subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
        contact = serializers.PrimaryKeyRelatedField(
            queryset=Contact.objects.filter(merged_into__isnull=True),
            required=False,
            allow_null=True,
            help_text="The customer this work is for (GET /api/v1/contacts?q= finds them).",
        )

    @extend_schema(request=EnqueueInputSerializer, responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        data = self.EnqueueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = do_open_interaction(**data.validated_data)
        interaction.refresh_from_db()
        return Response(interaction_payload(interaction), status=status.HTTP_201_CREATED)


class InteractionDetailApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        interaction = get_object_or_404(Interaction, pk=pk)
        user = cast(User, request.user)
        check_can_work_on(user, interaction)
        return Response(interaction_payload(interaction))


class InteractionCompleteApi(APIView):
    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        interaction = get_object_or_404(Interaction, pk=pk)
        user = cast(User, request.user)
        check_can_work_on(user, interaction)
        return Response(interaction_payload(do_complete_interaction(interaction.pk)))


class InteractionAssignApi(APIView):
    """A supervisor gives a waiting interaction to an agent (or to themselves: their own agent id)."""

    permission_classes = [IsSupervisor]

    class AssignInputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=AgentProfile.objects.select_related("user"))

    @extend_schema(request=AssignInputSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data = self.AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = do_assign_interaction(pk, data.validated_data["agent"], actor=cast(User, request.user))
        return Response(interaction_payload(interaction))


class InteractionPickApi(APIView):
    """An agent takes a waiting interaction from one of their queues (when the tenant allows it)."""

    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        return Response(interaction_payload(do_pick_interaction(pk, cast(User, request.user))))


class OfferAcceptApi(APIView):
    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        interaction = do_accept_offer(pk, cast(User, request.user))
        return Response(interaction_payload(interaction))


class OfferRejectApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        do_reject_offer(pk, cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)
