"""What every decision reads: queue plans (steps), the tenant's routing policy, cached per process
for PLAN_TTL_SECONDS; the SQL fragments for capacity; and the cursor that runs statements prepared."""

from __future__ import annotations

import json
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg.types.numeric import Int8

from apps.agents.models import CALL_CHANNELS, CHANNELS, RoutingSettings
from apps.core.tenancy import current_schema

from ..expressions import ExpressionError, KnownNames, Node, Sql, parse, skills_in

logger = logging.getLogger(__name__)


PLAN_TTL_SECONDS = 5.0  # queue steps and tenant policy are re-read at most this often per process
MAX_CACHED_AGENTS = 50_000  # agent cards and their statements kept per process (then dropped and rebuilt)


@dataclass(frozen=True)
class Step:
    start: float
    end: float | None  # None: lasts until answered
    node: Node
    skills: tuple[str, ...]


@dataclass(frozen=True)
class QueuePlan:
    queue_id: int
    steps: tuple[Step, ...]
    offer_timeout: int
    name: str = ""
    priority: int = 0
    aging_per_minute: float = 0.0

    def step_at(self, elapsed: float) -> Step | None:
        """The step in force after `elapsed` seconds of the step clock; None once all have run out
        (then anyone in the queue may take it)."""
        for step in self.steps:
            if step.end is None or elapsed < step.end:
                return step
        return None

    def next_boundary(self, elapsed: float) -> float | None:
        """Seconds of step clock at which eligibility next widens."""
        for step in self.steps:
            if step.end is not None and elapsed < step.end:
                return step.end
        return None


@dataclass(frozen=True)
class Policy:
    calls_block_other_channels: bool
    chats_block_calls: bool
    max_missed_offers: int
    decline_cooldown_seconds: int = 15
    agents_may_pick: bool = False


@dataclass(frozen=True)
class OfferMade:
    offer_id: int
    interaction_id: int
    agent_id: int
    user_id: int
    channel: str
    expires_at: datetime
    subject: str = ""
    attributes: dict[str, Any] | None = None
    queue_name: str = ""
    agent_has_room: bool = False  # the agent could take more work right now


CH = CHANNELS
_cache: dict[tuple[str, str, int], tuple[float, Any]] = {}


def _cached(kind: str, key: int, load: Any) -> Any:
    cache_key = (current_schema(), kind, key)
    hit = _cache.get(cache_key)
    now = time.monotonic()
    if hit and now - hit[0] < PLAN_TTL_SECONDS:
        return hit[1]
    value = load()
    if hit and hit[1] == value:
        # Unchanged: keep the very same object, so statements built from it stay cached (_statements).
        value = hit[1]
    _cache[cache_key] = (now, value)
    return value


def queue_plan(queue_id: int) -> QueuePlan:
    def load() -> QueuePlan:
        from ..expressions import Const, known_names
        from ..models import Queue

        queue = Queue.objects.filter(pk=queue_id).first()
        if queue is None:
            # Deleted since a card listed it; the agent's card no longer matches and is re-read.
            return QueuePlan(queue_id=queue_id, steps=(Step(0.0, None, Const(False), ()),), offer_timeout=20)
        known: KnownNames = known_names()
        steps: list[Step] = []
        clock = 0.0
        for step in queue.steps.all():
            try:
                node = parse(step.expression, known)
            except ExpressionError:
                # Saved steps are validated; one broken since (a skill deleted) matches nobody.
                logger.warning("Routing step %s of queue %s no longer parses", step.pk, queue_id)
                node = Const(False)
            end = None if step.duration_seconds is None else clock + step.duration_seconds
            steps.append(Step(start=clock, end=end, node=node, skills=tuple(skills_in(node))))
            if end is None:
                break
            clock = end
        return QueuePlan(
            queue_id=queue_id,
            steps=tuple(steps),
            offer_timeout=queue.offer_timeout_seconds,
            name=queue.name,
            priority=queue.priority,
            aging_per_minute=queue.priority_aging_per_minute,
        )

    plan: QueuePlan = _cached("queue", queue_id, load)
    return plan


def policy() -> Policy:
    def load() -> Policy:
        s = RoutingSettings.load()
        return Policy(
            s.calls_block_other_channels,
            s.chats_block_calls,
            s.max_missed_offers,
            s.decline_cooldown_seconds,
            s.agents_may_pick,
        )

    result: Policy = _cached("policy", 0, load)
    return result


def capacity_sql(alias: str, channel: str, pol: Policy) -> str:
    """SQL true when agent row `alias` can take one more `channel` interaction."""
    calls = f"({alias}.load_voice + {alias}.load_video)"
    if channel in CALL_CHANNELS:
        sql = f"{calls} < {alias}.capacity_{channel}"
        if pol.chats_block_calls:
            sql += f" AND {alias}.load_chat = 0"
    else:
        sql = f"{alias}.load_{channel} < {alias}.capacity_{channel}"
        if pol.calls_block_other_channels:
            sql += f" AND {calls} = 0"
    return f"({sql})"


def _room(alias: str, pol: Policy) -> str:
    """SQL array of the channels agent row `alias` can take one more interaction of."""
    parts = ", ".join(f"CASE WHEN {capacity_sql(alias, c, pol)} THEN '{c}' END" for c in CH)
    return f"array_remove(ARRAY[{parts}]::text[], NULL)"


def _capacity_case(alias: str, channel_expr: str, pol: Policy) -> str:
    branches = " ".join(f"WHEN '{c}' THEN {capacity_sql(alias, c, pol)}" for c in CH)
    return f"(CASE {channel_expr} {branches} ELSE false END)"


_LOAD_INCREMENT = ", ".join(f"load_{c} = a.load_{c} + (cand.channel = '{c}')::int" for c in CH)


def _json(value: Any) -> dict[str, Any]:
    # Django's psycopg 3 backend leaves jsonb as text in raw cursors (it decodes in from_db_value).
    if isinstance(value, str):
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {}
    return value or {}


def _fold_sql(folded: bool | Sql) -> Sql:
    if isinstance(folded, bool):
        return Sql("true" if folded else "false")
    return folded


def _seconds(value: float) -> str:
    """An interval literal: cast once when the statement is planned, not for every row."""
    return f"{value} seconds"


class _PreparingCursor(psycopg.Cursor[Any]):
    """Binds parameters on the server and runs its statements prepared (see `_prepared_cursor`)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = True, binary: bool | None = None
    ) -> Any:
        conn = self.connection
        # Django turns psycopg's automatic preparing off for the whole connection (prepare_threshold
        # None), which also ignores prepare=True. Turn it on for this one statement only; the
        # statements psycopg keeps prepared (at most `prepared_max`) are used only here.
        threshold = conn.prepare_threshold
        conn.prepare_threshold = _NEVER_BY_COUNT
        try:
            return super().execute(query, params, prepare=prepare, binary=binary)
        finally:
            conn.prepare_threshold = threshold


_NEVER_BY_COUNT = 2**31  # prepared because asked to (prepare=True), never because seen often


# Connections on which prepared statements always use their generic plan (see _prepared_cursor).
_generic_plans: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()


def _prepared_cursor() -> CursorWrapper:
    """A cursor for the agent decision. Its text depends only on the shape of the agent's queues and
    steps, every value is a parameter, so PostgreSQL parses and plans it once per connection instead
    of once per decision. Tables are named with their schema, so it needs no `SET search_path`
    round trip either. Query logging and error wrapping are Django's. Behind pgbouncer this needs
    session pooling, as search_path does anyway.

    PostgreSQL would re-plan a prepared statement for every execution whenever the plans it makes for
    the first few parameter values look cheaper than its generic plan, which depends on the data and
    on which agents come first; the generic plan is the one we want (the same scans for every agent).
    So the session says so, once: `plan_cache_mode` only concerns prepared statements (Django prepares
    none on its own here) and PL/pgSQL functions. Set outside a transaction, so no rollback undoes it."""
    connection.ensure_connection()
    conn = connection.connection
    if conn not in _generic_plans and connection.get_autocommit() and not connection.in_atomic_block:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        _generic_plans.add(conn)
    raw: Any = _PreparingCursor(conn)  # the stubs want a Django wrapper; Django wraps DB cursors
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _stable(*values: Any) -> tuple[Any, ...]:
    """Parameters cheap to send whose types do not depend on their values (a prepared statement is
    kept per parameter types, and psycopg would send a small int as int2, a large one as int4): ints
    as int8, lists as array literals (text, cast in the statement; psycopg would dump them element by
    element on every execution)."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(Int8(v))
        elif isinstance(v, list):
            out.append(_pg_array(v))
        else:
            out.append(v)
    return tuple(out)


def _pg_array(values: list[Any]) -> str:
    items = []
    for v in values:
        text = ("true" if v else "false") if isinstance(v, bool) else str(v)
        items.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(items) + "}"
