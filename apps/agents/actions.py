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

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.events import send_event_on_commit, user_group
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema
from apps.core.timers import set_timer_on_commit

from .models import AgentProfile, AgentSkill, AgentState, PresenceChange, ReasonCode, RoutingSettings, Skill

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


def do_set_skills(agent: AgentProfile, levels: dict[str, int], *, actor: User | None = None) -> AgentProfile:
    """Replace the agent's skills with `levels` ({skill name: 1..5})."""
    errors: dict[str, list[str]] = {}
    skills = {s.name: s for s in Skill.objects.filter(name__in=list(levels))}
    for name, level in levels.items():
        if name not in skills:
            errors.setdefault("skills", []).append(_("Unknown skill '%(name)s'.") % {"name": name})
        elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            errors.setdefault("skills", []).append(_("Proficiency of %(name)s must be 1 to 5.") % {"name": name})
    if errors:
        raise ValidationFailed(_("Some skills are not valid."), fields=errors)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        AgentSkill.objects.filter(agent=agent).delete()
        AgentSkill.objects.bulk_create(
            AgentSkill(agent=agent, skill=skills[n], proficiency=lv) for n, lv in levels.items()
        )
        agent.skill_levels = dict(levels)
        agent.save(update_fields=["skill_levels"])
        record_audit(actor, "agent.skills_set", agent, skills=dict(levels))
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
