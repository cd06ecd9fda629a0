"""Writes of the agents app: profiles, skills, presence state.

A state change runs the `agent_state_changed` hook after its transaction: routing (a higher app,
which registers for it) offers work to an agent who became available and moves the ringing offers
of one who left. Agents never imports routing."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.events import send_event_on_commit, user_group
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema
from apps.core.timers import set_timer_on_commit

from .models import (
    AgentProfile,
    AgentSkill,
    AgentState,
    PresenceChange,
    ReasonCode,
    RoutingSettings,
    Skill,
    Team,
)

logger = logging.getLogger(__name__)

MISSED_OFFERS_REASON = "Missed offers"
WRAP_UP_TIMER = "wrap_up"  # timer kind: an agent's wrap-up time ends (registered in AgentsConfig.ready)


def do_create_agent_profile(user: User, *, actor: User | None) -> AgentProfile:
    """Give `user` their agent profile (idempotent). Runs when accounts creates a user (the
    `user_created` hook); `actor` None is the system."""
    with transaction.atomic():
        profile, created = AgentProfile.objects.get_or_create(user=user)
        if created:
            record_audit(actor, "agent_profile.created", profile, user_id=user.pk)
    return profile


def ensure_agent_profile(user: User) -> AgentProfile:
    """The user's profile. Users made by accounts' actions have one already (the `user_created`
    hook); one made another way (the owner at sign-up, `createsuperuser`) gets it here, through the
    action, as the system."""
    profile = AgentProfile.objects.filter(user=user).first()
    return profile if profile is not None else do_create_agent_profile(user, actor=None)


def do_sync_skill_levels(agent: AgentProfile, *, actor: User | None) -> AgentProfile:
    """Make the profile's skill map (what the router reads) equal to its AgentSkill rows, after
    something edited the rows themselves (the admin's inline). Writes the audit row and tells routing."""
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        levels = {s.skill.name: s.proficiency for s in agent.skills.select_related("skill")}
        agent.skill_levels = levels
        agent.save(update_fields=["skill_levels"])
        record_audit(actor, "agent.skills_set", agent, skills=levels)
    run_hooks("agent_routing_changed", agent_id=agent.pk)
    return agent


def check_skill_levels(levels: dict[str, int]) -> dict[str, Skill]:
    """The skills `levels` ({skill name: 1..5}) names; ValidationFailed when one is unknown or out of range."""
    errors: dict[str, list[str]] = {}
    skills = {s.name: s for s in Skill.objects.filter(name__in=list(levels))}
    for name, level in levels.items():
        if name not in skills:
            errors.setdefault("skills", []).append(_("Unknown skill '%(name)s'.") % {"name": name})
        elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            errors.setdefault("skills", []).append(_("Proficiency of %(name)s must be 1 to 5.") % {"name": name})
    if errors:
        raise ValidationFailed(_("Some skills are not valid."), fields=errors)
    return skills


def _replace_skills(agent: AgentProfile, levels: dict[str, int], skills: dict[str, Skill], actor: User | None) -> None:
    """Caller holds the agent's row lock, inside the action's transaction."""
    AgentSkill.objects.filter(agent=agent).delete()
    AgentSkill.objects.bulk_create(AgentSkill(agent=agent, skill=skills[n], proficiency=lv) for n, lv in levels.items())
    agent.skill_levels = dict(levels)
    agent.save(update_fields=["skill_levels"])
    record_audit(actor, "agent.skills_set", agent, skills=dict(levels))


def do_set_skills(agent: AgentProfile, levels: dict[str, int], *, actor: User | None = None) -> AgentProfile:
    """Replace the agent's skills with `levels` ({skill name: 1..5})."""
    skills = check_skill_levels(levels)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        _replace_skills(agent, levels, skills, actor)
    return agent


def _record_state(agent: AgentProfile, state: str, reason: ReasonCode | None, cause: str) -> None:
    """Caller holds the agent's row lock."""
    now = timezone.now()
    PresenceChange.objects.filter(agent=agent, ended_at__isnull=True).update(ended_at=now)
    PresenceChange.objects.create(agent=agent, state=state, reason=reason, started_at=now, cause=cause)
    run_hooks("agent_state_recorded", agent_id=agent.pk, old_state=agent.state, new_state=state, at=now)
    was_free = agent.state != AgentState.AVAILABLE
    agent.state = state
    agent.state_reason = reason
    agent.state_since = now
    if state == AgentState.AVAILABLE and was_free:
        agent.idle_since = now
        agent.missed_offers_in_row = 0
    if state != AgentState.WRAP_UP:
        agent.wrap_up_until = None
    agent.save(
        update_fields=["state", "state_reason", "state_since", "idle_since", "missed_offers_in_row", "wrap_up_until"]
    )


def _state_event(agent: AgentProfile) -> dict[str, Any]:
    return {
        "type": "agent.state",
        "agent_id": agent.pk,
        "state": agent.state,
        "reason": agent.state_reason.name if agent.state_reason else None,
        "since": agent.state_since.isoformat(),
    }


def do_set_agent_state(
    agent: AgentProfile, state: str, reason_id: int | None = None, *, cause: str = "agent"
) -> AgentProfile:
    """Change presence. Going available routes work to the agent; going away/offline moves their
    ringing offers to other agents."""
    if state not in AgentState.values:
        raise ValidationFailed(
            _("Unknown state."), fields={"state": [_("Choose one of: %(s)s.") % {"s": ", ".join(AgentState.values)}]}
        )
    reason = None
    if state == AgentState.AWAY and reason_id is not None:
        reason = ReasonCode.objects.filter(pk=reason_id).first()
        if reason is None:
            raise ValidationFailed(_("Unknown reason."), fields={"reason": [_("Choose a reason from the list.")]})
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        if agent.state == state and agent.state_reason_id == (reason.pk if reason else None):
            return agent
        _record_state(agent, state, reason, cause)
        schema = current_schema()
        send_event_on_commit(schema, _state_event(agent), [user_group(schema, agent.user_id)])
    run_hooks("agent_state_changed", agent_id=agent.pk, state=state)
    return agent


def do_start_wrap_up(agent_id: int, seconds: int) -> None:
    """After-contact work: the agent takes no new work until it ends (timer, or the agent)."""
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent_id)
        if agent.state != AgentState.AVAILABLE:
            return
        _record_state(agent, AgentState.WRAP_UP, None, "wrap_up")
        agent.wrap_up_until = timezone.now() + timedelta(seconds=seconds)
        agent.save(update_fields=["wrap_up_until"])
        schema = current_schema()
        send_event_on_commit(
            schema,
            {**_state_event(agent), "until": agent.wrap_up_until.isoformat()},
            [user_group(schema, agent.user_id)],
        )
        set_timer_on_commit(schema, WRAP_UP_TIMER, agent_id, agent.wrap_up_until)


def do_end_wrap_up(agent_id: int) -> None:
    agent = AgentProfile.objects.get(pk=agent_id)
    if agent.state == AgentState.WRAP_UP:
        do_set_agent_state(agent, AgentState.AVAILABLE, cause="wrap_up_done")


def do_record_missed_offer(agent_id: int) -> bool:
    """Count a missed offer; after too many in a row the agent is set away. True when set away."""
    limit = RoutingSettings.load().max_missed_offers
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent_id)
        agent.missed_offers_in_row += 1
        agent.save(update_fields=["missed_offers_in_row"])
        too_many = agent.missed_offers_in_row >= limit and agent.state == AgentState.AVAILABLE
    if too_many:
        reason, _created = ReasonCode.objects.get_or_create(name=MISSED_OFFERS_REASON, defaults={"is_system": True})
        do_set_agent_state(agent, AgentState.AWAY, reason.pk, cause="missed_offers")
    return too_many


# Configuration the settings pages and the REST API edit: skills, teams, reason codes, one agent's
# routing profile. Each write is one transaction with its audit row; refusals are ApplicationErrors
# (409 while something still uses the thing).


def queues_whose_steps_name(name: str) -> list[str]:
    """Names of the queues whose routing steps use `name` (e.g. "skills.billing"). Routing is above
    this app and answers through the `routing_names_used` hook."""
    return sorted({queue for found in run_hooks("routing_names_used", reference=name) for queue in found})


def _in_use(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, code=code, status=409, fields={"name": [message]})


def do_save_skill(actor: User | None, *, name: str, description: str = "", skill: Skill | None = None) -> Skill:
    """Create (`skill` None) or change a skill. A rename carries the agents' levels along; it is
    refused while routing steps still name the old skill (they would stop parsing)."""
    with transaction.atomic():
        if skill is None:
            skill = Skill.objects.create(name=name, description=description)
            record_audit(actor, "skill.created", skill, name=name, description=description)
            return skill
        skill = Skill.objects.select_for_update().get(pk=skill.pk)
        old = skill.name
        if name != old:
            queues = queues_whose_steps_name(f"skills.{old}")
            if queues:
                raise _in_use(
                    "skill_in_use",
                    _("Routing steps of %(queues)s use skills.%(name)s: change them before renaming the skill.")
                    % {"queues": ", ".join(queues), "name": old},
                )
            for agent in AgentProfile.objects.select_for_update().filter(skills__skill=skill).order_by("pk"):
                levels = dict(agent.skill_levels or {})
                if old in levels:
                    levels[name] = levels.pop(old)
                    agent.skill_levels = levels
                    agent.save(update_fields=["skill_levels"])
        skill.name, skill.description = name, description
        skill.save(update_fields=["name", "description"])
        record_audit(actor, "skill.updated", skill, name=name, description=description, old_name=old)
    return skill


def do_delete_skill(actor: User | None, skill: Skill) -> None:
    """Refused (409 skill_in_use) while agents hold the skill or routing steps name it."""
    with transaction.atomic():
        skill = Skill.objects.select_for_update().get(pk=skill.pk)
        holders = AgentSkill.objects.filter(skill=skill).count()
        if holders:
            raise _in_use(
                "skill_in_use",
                ngettext(
                    "“%(name)s” cannot be deleted: %(n)d agent has it. Take it from them first.",
                    "“%(name)s” cannot be deleted: %(n)d agents have it. Take it from them first.",
                    holders,
                )
                % {"name": skill.name, "n": holders},
            )
        queues = queues_whose_steps_name(f"skills.{skill.name}")
        if queues:
            raise _in_use(
                "skill_in_use",
                _("“%(name)s” cannot be deleted: routing steps of %(queues)s use it. Change them first.")
                % {"name": skill.name, "queues": ", ".join(queues)},
            )
        record_audit(actor, "skill.deleted", skill, name=skill.name)
        skill.delete()


def do_save_team(actor: User | None, *, name: str, team: Team | None = None) -> Team:
    with transaction.atomic():
        if team is None:
            team = Team.objects.create(name=name)
            record_audit(actor, "team.created", team, name=name)
            return team
        team = Team.objects.select_for_update().get(pk=team.pk)
        team.name = name
        team.save(update_fields=["name"])
        record_audit(actor, "team.updated", team, name=name)
    return team


def do_delete_team(actor: User | None, team: Team) -> None:
    """Refused (409 team_in_use) while it has members."""
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        members = team.agents.count()
        if members:
            raise _in_use(
                "team_in_use",
                ngettext(
                    "“%(name)s” cannot be deleted: %(n)d agent is in it. Take them out first.",
                    "“%(name)s” cannot be deleted: %(n)d agents are in it. Take them out first.",
                    members,
                )
                % {"name": team.name, "n": members},
            )
        record_audit(actor, "team.deleted", team, name=team.name)
        team.delete()


def _refuse_system_reason(reason: ReasonCode) -> None:
    if reason.is_system:
        raise ApplicationError(
            _("“%(name)s” is set by the product itself and cannot be changed.") % {"name": reason.name},
            code="reason_code_is_system",
            status=409,
            fields={"name": [_("Set by the product; it cannot be changed.")]},
        )


def do_save_reason_code(actor: User | None, *, name: str, reason: ReasonCode | None = None) -> ReasonCode:
    with transaction.atomic():
        if reason is None:
            reason = ReasonCode.objects.create(name=name)
            record_audit(actor, "reason_code.created", reason, name=name)
            return reason
        reason = ReasonCode.objects.select_for_update().get(pk=reason.pk)
        _refuse_system_reason(reason)
        reason.name = name
        reason.save(update_fields=["name"])
        record_audit(actor, "reason_code.updated", reason, name=name)
    return reason


def do_delete_reason_code(actor: User | None, reason: ReasonCode) -> None:
    """Refused (409 reason_code_in_use) once agents have used it: the presence history (occupancy,
    adherence reports) keeps naming it. Rename it instead."""
    with transaction.atomic():
        reason = ReasonCode.objects.select_for_update().get(pk=reason.pk)
        _refuse_system_reason(reason)
        used = PresenceChange.objects.filter(reason=reason).count()
        if used or AgentProfile.objects.filter(state_reason=reason).exists():
            raise _in_use(
                "reason_code_in_use",
                _("“%(name)s” cannot be deleted: agents have used it and reports still show it. Rename it instead.")
                % {"name": reason.name},
            )
        record_audit(actor, "reason_code.deleted", reason, name=reason.name)
        reason.delete()


def do_update_agent(
    actor: User | None,
    agent: AgentProfile,
    fields: dict[str, Any],
    *,
    skills: dict[str, int] | None = None,
    teams: list[Team] | None = None,
    queues: list[Any] | None = None,
) -> AgentProfile:
    """Change an agent's routing profile: plain fields (languages, capacity, ...), skills with their
    levels, teams, and the queues they answer (routing's Queue.members, set from this side, so this
    app names no routing class). None leaves a part as it is. Routing then forgets its plans."""
    skill_rows = check_skill_levels(skills) if skills is not None else {}
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        for name, value in fields.items():
            setattr(agent, name, value)
        if fields:
            agent.save(update_fields=list(fields))
        data: dict[str, Any] = {"fields": sorted(fields)}
        if teams is not None:
            agent.teams.set(teams)
            data["teams"] = sorted(t.pk for t in teams)
        if queues is not None:
            agent.queues.set(queues)  # type: ignore[attr-defined]
            data["queues"] = sorted(q.pk for q in queues)
        if fields or teams is not None or queues is not None:
            record_audit(actor, "agent.updated", agent, **data)
        if skills is not None:
            _replace_skills(agent, skills, skill_rows, actor)
    run_hooks("agent_routing_changed", agent_id=agent.pk)
    return agent
