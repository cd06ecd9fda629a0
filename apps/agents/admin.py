from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest

from apps.accounts.models import User
from apps.core.admin_site import RoleAdmin, RoleInline, tenant_admin

from .actions import do_sync_skill_levels
from .models import AgentProfile, AgentSkill, ReasonCode, RoutingSettings, Skill, Team


class SkillAdmin(RoleAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


class TeamAdmin(RoleAdmin):
    list_display = ("name",)


class ReasonCodeAdmin(RoleAdmin):
    list_display = ("name", "is_system")


class AgentSkillInline(RoleInline):
    model = AgentSkill


class AgentProfileAdmin(RoleAdmin):
    list_display = ("user", "state", "languages", "location", "load_chat", "capacity_chat")
    list_filter = ("state", "teams")
    search_fields = ("user__email", "user__full_name")
    filter_horizontal = ("teams",)
    inlines = [AgentSkillInline]
    readonly_fields = ("state", "state_since")
    fields = (
        "user",
        "teams",
        "languages",
        "location",
        "attributes",
        "capacity_voice",
        "capacity_video",
        "capacity_chat",
        "capacity_email",
        "capacity_messaging",
        "state",
        "state_since",
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The router reads skills from the profile's map: the action makes it equal to the rows just
        # saved, writes the audit row and tells routing (hook).
        do_sync_skill_levels(form.instance, actor=cast(User, request.user))


class RoutingSettingsAdmin(RoleAdmin):
    list_display = ("calls_block_other_channels", "chats_block_calls", "max_missed_offers")


tenant_admin.register(Skill, SkillAdmin)
tenant_admin.register(Team, TeamAdmin)
tenant_admin.register(ReasonCode, ReasonCodeAdmin)
tenant_admin.register(AgentProfile, AgentProfileAdmin)
tenant_admin.register(RoutingSettings, RoutingSettingsAdmin)
