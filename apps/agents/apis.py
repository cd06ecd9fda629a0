"""REST API of the agents app: agent profiles, skills, teams, reason codes, presence state."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.permissions import IsSupervisor, IsTenantAdmin

from .actions import (
    do_create_agent_profile,
    do_delete_reason_code,
    do_delete_skill,
    do_delete_team,
    do_save_reason_code,
    do_save_skill,
    do_save_team,
    do_set_agent_state,
    do_update_agent,
    ensure_agent_profile,
)
from .models import AgentProfile, ReasonCode, Skill, Team


def _actor(serializer: serializers.BaseSerializer) -> User | None:
    request = serializer.context.get("request")
    return cast(User, request.user) if request is not None else None


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "description"]
        # Names are identifiers in routing expressions; say so in the owner's words.
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "name": {
                "error_messages": {
                    "invalid": gettext_lazy("Use only letters, digits, dashes and underscores, without spaces.")
                }
            }
        }

    def create(self, validated_data: dict[str, Any]) -> Skill:
        return do_save_skill(_actor(self), **validated_data)

    def update(self, instance: Skill, validated_data: dict[str, Any]) -> Skill:
        values = {k: validated_data.get(k, getattr(instance, k)) for k in ("name", "description")}
        return do_save_skill(_actor(self), skill=instance, **values)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]

    def create(self, validated_data: dict[str, Any]) -> Team:
        return do_save_team(_actor(self), **validated_data)

    def update(self, instance: Team, validated_data: dict[str, Any]) -> Team:
        return do_save_team(_actor(self), team=instance, name=validated_data.get("name", instance.name))


class ReasonCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReasonCode
        fields = ["id", "name", "is_system"]
        read_only_fields = ["is_system"]

    def create(self, validated_data: dict[str, Any]) -> ReasonCode:
        return do_save_reason_code(_actor(self), **validated_data)

    def update(self, instance: ReasonCode, validated_data: dict[str, Any]) -> ReasonCode:
        return do_save_reason_code(_actor(self), reason=instance, name=validated_data.get("name", instance.name))


class SkillViewSet(viewsets.ModelViewSet):
    """Deleting a skill agents hold or routing steps name answers 409 skill_in_use."""

    queryset = Skill.objects.all()
    serializer_class = SkillSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: Skill) -> None:
        do_delete_skill(cast(User, self.request.user), instance)


class TeamViewSet(viewsets.ModelViewSet):
    """Deleting a team with members answers 409 team_in_use."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: Team) -> None:
        do_delete_team(cast(User, self.request.user), instance)


class ReasonCodeViewSet(viewsets.ModelViewSet):
    """Deleting a reason agents have used answers 409 reason_code_in_use; system reasons are fixed."""

    queryset = ReasonCode.objects.all()
    serializer_class = ReasonCodeSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: ReasonCode) -> None:
        do_delete_reason_code(cast(User, self.request.user), instance)


class AgentSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    skills = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5), source="skill_levels", required=False
    )

    class Meta:
        model = AgentProfile
        fields = [
            "id",
            "user",
            "email",
            "name",
            "languages",
            "location",
            "attributes",
            "skills",
            "teams",
            "queues",
            "capacity_voice",
            "capacity_video",
            "capacity_chat",
            "capacity_email",
            "capacity_messaging",
            "load_voice",
            "load_video",
            "load_chat",
            "load_email",
            "load_messaging",
            "state",
            "state_since",
        ]
        read_only_fields = [
            "state",
            "state_since",
            "load_voice",
            "load_video",
            "load_chat",
            "load_email",
            "load_messaging",
        ]
        # `queues` is the reverse side of routing's Queue.members: DRF builds the field from the model,
        # so this app names no routing class.
        extra_kwargs: ClassVar[dict[str, Any]] = {"queues": {"required": False}}

    def validate_attributes(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be a JSON object."))
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        return sorted({v.strip().lower() for v in value if v.strip()})

    def create(self, validated_data: dict[str, Any]) -> AgentProfile:
        with transaction.atomic():
            agent = do_create_agent_profile(validated_data.pop("user"), actor=_actor(self))
            return self.update(agent, validated_data)

    def update(self, instance: AgentProfile, validated_data: dict[str, Any]) -> AgentProfile:
        skills = validated_data.pop("skill_levels", None)
        teams = validated_data.pop("teams", None)
        queues = validated_data.pop("queues", None)
        return do_update_agent(_actor(self), instance, validated_data, skills=skills, teams=teams, queues=queues)


class AgentViewSet(viewsets.ModelViewSet):
    queryset = AgentProfile.objects.select_related("user").prefetch_related("teams", "queues")
    serializer_class = AgentSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def get_permissions(self) -> list[Any]:
        # Supervisors staff their queues: they change agents' skills, queues and capacity (as on the
        # settings page); creating and deleting profiles stays with the owner and admins.
        return [IsSupervisor()] if self.action in {"list", "retrieve", "partial_update"} else [IsTenantAdmin()]


class AgentStateApi(APIView):
    """The signed-in agent's presence: available, away (with a reason), offline."""

    class StateInputSerializer(serializers.Serializer):
        state = serializers.CharField()
        reason = serializers.IntegerField(required=False, allow_null=True)

    class StateOutputSerializer(serializers.Serializer):
        state = serializers.CharField()
        reason = serializers.CharField(allow_null=True)

    @extend_schema(request=StateInputSerializer, responses={200: StateOutputSerializer})
    def put(self, request: Request) -> Response:
        data = self.StateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        if user.role not in {"agent", "supervisor", "admin", "owner"}:
            raise ValidationFailed(_("You are not an agent."))
        agent = do_set_agent_state(
            ensure_agent_profile(user), data.validated_data["state"], data.validated_data.get("reason")
        )
        return Response({"state": agent.state, "reason": agent.state_reason.name if agent.state_reason else None})
