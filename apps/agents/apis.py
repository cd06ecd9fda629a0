"""REST API of the agents app: agent profiles, skills, teams, reason codes, presence state."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.permissions import IsTenantAdmin

from .actions import do_set_agent_state, do_set_skills, ensure_agent_profile
from .models import AgentProfile, ReasonCode, Skill, Team


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "description"]


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class ReasonCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReasonCode
        fields = ["id", "name", "is_system"]
        read_only_fields = ["is_system"]


class SkillViewSet(viewsets.ModelViewSet):
    queryset = Skill.objects.all()
    serializer_class = SkillSerializer
    permission_classes = [IsTenantAdmin]


class TeamViewSet(viewsets.ModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [IsTenantAdmin]


class ReasonCodeViewSet(viewsets.ModelViewSet):
    queryset = ReasonCode.objects.all()
    serializer_class = ReasonCodeSerializer
    permission_classes = [IsTenantAdmin]


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
            "load_voice",
            "load_video",
            "load_chat",
            "load_email",
            "state",
            "state_since",
        ]
        read_only_fields = ["state", "state_since", "load_voice", "load_video", "load_chat", "load_email"]
        # `queues` is the reverse side of routing's Queue.members: DRF builds the field from the model,
        # so this app names no routing class.
        extra_kwargs: ClassVar[dict[str, Any]] = {"queues": {"required": False}}

    def validate_attributes(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be a JSON object."))
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        return sorted({v.strip().lower() for v in value if v.strip()})

    def save(self, **kwargs: Any) -> AgentProfile:
        skills = self.validated_data.pop("skill_levels", None)
        with transaction.atomic():
            agent = cast(AgentProfile, super().save(**kwargs))
            if skills is not None:
                request = self.context.get("request")
                agent = do_set_skills(agent, skills, actor=cast(User, request.user) if request else None)
        return agent


class AgentViewSet(viewsets.ModelViewSet):
    queryset = AgentProfile.objects.select_related("user").prefetch_related("teams", "queues")
    serializer_class = AgentSerializer
    permission_classes = [IsTenantAdmin]
    http_method_names = ["get", "post", "patch", "delete"]


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
