"""Hooks: how a lower app lets a higher one react without importing it.

The higher app registers a function for a named hook in its AppConfig.ready; the lower app calls
`run_hooks(name, ...)` where the thing happened. Every hook is declared here, once, with what it
passes, so a caller and the registered functions agree (and a typo is an error, not silence).

- `agent_state_changed(agent_id, state)`: agents' presence changed (do_set_agent_state, after its
  transaction). Routing offers work to an agent who became available, and moves the ringing offers
  of one who left.
- `agent_routing_changed(agent_id)`: an agent's skills, teams or capacity were edited. Routing forgets
  its cached plans and cards.
- `user_created(user, actor)`: accounts added a user (inside its transaction). Agents gives them
  their agent profile.
- `tenant_created(tenant)`: tenants signed a business up (public schema, inside the sign-up's
  transaction). Billing starts the trial.
- `tenant_schema_created(tenant)`: the new tenant's schema exists (inside it, same transaction).
  Accounts names the owner after the business if the sign-up gave no name; routing makes the first
  queue ("Support"), then the widget its website key for it.
- `login_handoff(schema_name, user)`: the sign-up page needs a one-time sign-in link for the new
  owner. Accounts returns the token.
- `team_page_context(tenant)`: accounts renders the team page. Billing returns the seats to show
  (account, seats in use, where to add more, which roles take a seat).
- `routing_names_used(reference) -> list[str]`: agents is about to rename or delete a skill (or routing an
  interaction attribute) that routing steps may name, e.g. "skills.billing". Routing returns the names
  of the queues whose steps use it (the change is refused while any do).
- `widget_tracker_config() -> dict`: the widget loader asks whether its page may use its key
  (`/widget/check/`, inside the tenant). Journey returns what its tracker needs: the query parameters
  page addresses keep (`params`), and whether proactive engagement rules are on (`engage`).
- `widget_invitation_accepted(token, visitor_id) -> dict | None`: a website visitor took a proactive
  invitation (the widget's `invitation.accept` frame). Journey checks the signed token is this
  visitor's, counts it accepted and returns `{id, queue_id, action, message}` (None: not theirs).
- `widget_conversation_opened(invitation_id, interaction)`: the conversation (or call) an accepted
  invitation opened (inside the transaction that opened it). Journey links them, so the agent sees
  why the customer was invited.
- `scorecard_figures(agent_ids, start, end) -> dict`: reporting builds agents' scorecards. Quality
  returns `{"qa_score": {agent_id: average score of the evaluations submitted in [start, end)}}`; WFM
  `{"adherence": {agent_id: %}, "conformance": {agent_id: %}}` from the published schedules and presence.
- `message_posted(interaction_id, message_id, channel)`: an agent's message was stored (inbox's
  `do_post_message`, after commit). The channel's app delivers it: email sends the mail.
- `tenant_time_zone() -> str`: an app needs the tenant's own zone (its days, weeks and shifts).
  Reporting returns the zone of its settings (an IANA name); with none registered, "UTC".
- `interaction_closed(interaction_id)`: inbox resolved an interaction (after its transaction commits).
  Analytics analyses it in the background (sentiment, topics; a call's talk pattern and phrases).
- `recording_stored(call_id, recording_id)`: media stored a call's recording (after its transaction);
  it may arrive after the interaction was closed. Analytics analyses the call's interaction again.
- `domain_event(event, payload)`: something a tenant's own systems may want to hear about happened
  (after its transaction commits; `domain_event_on_commit`). Events and what `payload` holds:
  `interaction.created` / `interaction.resolved` `{interaction_id}`; `interaction.assigned`
  `{interaction_id, agent_id}`; `message.created` `{interaction_id, seq}` (customers' and agents' messages);
  `call.ended` `{interaction_id, call: {...}}`; `csat.received` `{interaction_id}`; `contact.merged`
  `{contact_id, merged_id}`. Webhooks sends them to the tenant's subscriptions (docs/webhooks.md); inbox
  marks a callback dialling when its interaction is `interaction.assigned`, and ends an active one when
  it is `interaction.resolved`.
- `seats_check(role, adding)`: accounts adds or re-activates a user (inside its transaction). Billing
  raises SeatLimitReached when a seat-taking role finds no free seat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

HOOKS: dict[str, str] = {
    # Inside the state change's transaction, the agent's row locked: inbox ends the agent's
    # after-contact-work segments when wrap-up ends, in the same transaction (the interaction record).
    "agent_state_recorded": "agent_id: int, old_state: str, new_state: str, at: datetime",
    "agent_state_changed": "agent_id: int, state: str",
    "agent_routing_changed": "agent_id: int",
    "routing_names_used": "reference: str -> list[str]",
    "seats_check": "role: str, adding: int",
    "domain_event": "event: str, payload: dict",
    "interaction_closed": "interaction_id: int",
    "recording_stored": "call_id: str, recording_id: int",
    "scorecard_figures": "agent_ids: list[int], start: datetime, end: datetime -> dict",
    "team_page_context": "tenant: Tenant -> dict",
    "tenant_time_zone": "-> str",
    "message_posted": "interaction_id: int, message_id: int, channel: str",
    "tenant_created": "tenant: Tenant",
    "tenant_schema_created": "tenant: Tenant",
    "login_handoff": "schema_name: str, user: User -> str",
    "user_created": "user: User, actor: User | None",
    "widget_tracker_config": "-> dict",
    "widget_invitation_accepted": "token: str, visitor_id: str -> dict | None",
    "widget_conversation_opened": "invitation_id: int, interaction: Interaction",
}

_registered: dict[str, list[Callable[..., Any]]] = {name: [] for name in HOOKS}


def register_hook(name: str, func: Callable[..., Any]) -> None:
    """Call `func` whenever `name` runs (from AppConfig.ready; registering twice is a no-op)."""
    if name not in HOOKS:
        raise KeyError(f"Unknown hook {name!r}: declare it in apps/core/hooks.py")
    if func not in _registered[name]:
        _registered[name].append(func)


def run_hooks(name: str, **kwargs: Any) -> list[Any]:
    """Run every function registered for `name`, in registration order; returns their results.
    An exception propagates to the caller (a hook that refuses, like `seats_check`, raises)."""
    if name not in HOOKS:
        raise KeyError(f"Unknown hook {name!r}: declare it in apps/core/hooks.py")
    return [func(**kwargs) for func in _registered[name]]


def domain_event_on_commit(event: str, **payload: Any) -> None:
    """Run the `domain_event` hook once the current transaction commits (at once outside one); never
    for a rolled-back change. A failing receiver is logged, not raised: the change is already made."""
    from django.db import transaction

    def run() -> None:
        try:
            run_hooks("domain_event", event=event, payload=payload)
        except Exception:
            logger.exception("domain_event %s failed", event)

    transaction.on_commit(run)


def tenant_time_zone() -> str:
    """The current tenant's time zone (the `tenant_time_zone` hook), "UTC" when no app keeps one."""
    found = run_hooks("tenant_time_zone")
    return str(found[0]) if found and found[0] else "UTC"
