from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.admin_site import RoleAdmin, RoleInline, tenant_admin

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
        "state",
        "state_since",
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        from apps.routing import engine

        agent = form.instance
        # The router reads skills from this map; keep it equal to the rows just saved.
        agent.skill_levels = {s.skill.name: s.proficiency for s in agent.skills.select_related("skill")}
        agent.save(update_fields=["skill_levels"])
        engine.forget_cached_plans()


class RoutingSettingsAdmin(RoleAdmin):
    list_display = ("calls_block_other_channels", "chats_block_calls", "max_missed_offers")


tenant_admin.register(Skill, SkillAdmin)
tenant_admin.register(Team, TeamAdmin)
tenant_admin.register(ReasonCode, ReasonCodeAdmin)
tenant_admin.register(AgentProfile, AgentProfileAdmin)
tenant_admin.register(RoutingSettings, RoutingSettingsAdmin)
