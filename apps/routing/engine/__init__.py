"""The ACD: matches waiting interactions with available agents. Each decision is one SQL statement.

Two entry points, one per kind of event:
- `offer_interaction(id)`: an interaction arrived or came back (rejected, timed out, a step expanded).
  Picks the best eligible agent: one holding no work before one who does (someone working is not
  idle), then longest idle (time since their last work ended), ties broken by proficiency in the
  skills the step tests.
- `offer_to_agent(id)`: an agent became available or freed capacity. Picks the best interaction this
  agent may take: higher queue priority, then higher (aged) interaction priority, then oldest.

Concurrency. Several processes run these at once. Locks that wait are only ever taken in the order
interaction → agent; a lock against that order is taken with SKIP LOCKED, so no two deciders wait on
each other in a cycle. The capacity check and the load increment happen on the locked agent row in
the same statement, and a partial unique index allows one pending offer per interaction, so no
interaction is offered twice and no agent exceeds capacity, whatever the interleaving.

A decision is a single statement, so it needs no transaction of its own: outside one it commits by
itself (no BEGIN/COMMIT round trips); inside a caller's transaction it is part of it.
"""

from __future__ import annotations

from .agents import _TOP, AgentCard, _cards, _statements, agent_card, offer_to_agent
from .interactions import WaitResult, decide_for_interaction, offer_interaction, offer_to_specific_agent
from .plans import (
    CH,
    MAX_CACHED_AGENTS,
    PLAN_TTL_SECONDS,
    OfferMade,
    Policy,
    QueuePlan,
    Step,
    _cache,
    _cached,
    _prepared_cursor,
    _stable,
    capacity_sql,
    policy,
    queue_plan,
)


def forget_cached_plans() -> None:
    """Drop this process's cached plans and agent cards (after a queue's steps change; other
    processes wait out the TTL for plans, and notice a changed agent in the decision itself)."""
    _cache.clear()
    _cards.clear()
    _statements.clear()


# With internals that have other users: routing.selectors caches through `_cached`; the engine's
# tests read `_TOP` and run statements through `_prepared_cursor` with `_stable` parameters.
__all__ = [
    "CH",
    "MAX_CACHED_AGENTS",
    "PLAN_TTL_SECONDS",
    "_TOP",
    "AgentCard",
    "OfferMade",
    "Policy",
    "QueuePlan",
    "Step",
    "WaitResult",
    "_cached",
    "_prepared_cursor",
    "_stable",
    "agent_card",
    "capacity_sql",
    "decide_for_interaction",
    "forget_cached_plans",
    "offer_interaction",
    "offer_to_agent",
    "offer_to_specific_agent",
    "policy",
    "queue_plan",
]
