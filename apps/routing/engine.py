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

from apps.agents.models import CALL_CHANNELS, RoutingSettings
from apps.core.tenancy import current_schema

from .expressions import AgentFacts, Binding, ExpressionError, KnownNames, Node, Sql, compile_node, parse, skills_in

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


CH = ("voice", "video", "chat", "email")
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


def forget_cached_plans() -> None:
    """Drop this process's cached plans and agent cards (after a queue's steps change; other
    processes wait out the TTL for plans, and notice a changed agent in the decision itself)."""
    _cache.clear()
    _cards.clear()
    _statements.clear()


def queue_plan(queue_id: int) -> QueuePlan:
    def load() -> QueuePlan:
        from .expressions import Const, known_names
        from .models import Queue

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
        return Policy(s.calls_block_other_channels, s.chats_block_calls, s.max_missed_offers)

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
    branches = " ".join(f"WHEN '{c}' THEN {capacity_sql(alias, c, pol)}" for c in ("voice", "video", "chat", "email"))
    return f"(CASE {channel_expr} {branches} ELSE false END)"


_LOAD_INCREMENT = ", ".join(
    f"load_{c} = a.load_{c} + (cand.channel = '{c}')::int" for c in ("voice", "video", "chat", "email")
)


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


@dataclass(frozen=True)
class WaitResult:
    """What deciding for a waiting interaction found: the offer made, or when to look again."""

    made: OfferMade | None
    wake_in: float | None = None  # seconds until eligibility widens (None: nothing to wait for)


def offer_interaction(interaction_id: int) -> OfferMade | None:
    """Offer a queued interaction to the best eligible agent, if there is one. Call outside any
    transaction that holds agent locks (it may be inside one holding nothing)."""
    return decide_for_interaction(interaction_id).made


def decide_for_interaction(interaction_id: int) -> WaitResult:
    """`offer_interaction`, also saying when the interaction's eligibility next widens if no agent
    took it (its preferred agent's turn ends, or its queue's next step starts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queue_id, channel, routing_status, date_part('epoch', now() - steps_start_at), "
            "preferred_agent_id, attributes, subject FROM inbox_interaction WHERE id = %s",
            [interaction_id],
        )
        row = cursor.fetchone()
        if row is None or row[2] != "queued" or row[0] is None:
            return WaitResult(None)
        queue_id, channel, _status, elapsed, preferred_agent_id, attributes, subject = row
        attributes = _json(attributes)
        plan = queue_plan(queue_id)
        pol = policy()
        attrs = {**attributes, "channel": channel}
        tie_skills: tuple[str, ...] = ()
        wake_in: float | None
        if elapsed < 0:
            wake_in = -elapsed  # the step clock starts (the preferred agent's turn ends)
        else:
            boundary = plan.next_boundary(elapsed)
            wake_in = None if boundary is None else boundary - elapsed
        if elapsed < 0 and preferred_agent_id:
            eligible = Sql("a.id = %s", [preferred_agent_id])
        else:
            step = plan.step_at(max(elapsed, 0.0))
            if step is None:
                eligible = Sql("true")
            else:
                eligible = _fold_sql(compile_node(step.node, Binding("a", attrs)))
                tie_skills = step.skills
        if eligible.text == "false":
            return WaitResult(None, wake_in)
        tie_sql = " + ".join(["COALESCE((a.skill_levels->>%s)::int, 0)"] * len(tie_skills))
        tie_order = f"({tie_sql}) DESC, " if tie_skills else ""
        # The declined list is read from the locked row, not from the read above: an agent who
        # declined in between is never offered it again.
        sql = f"""
        WITH inter AS (
            SELECT id, declined_agent_ids FROM inbox_interaction
            WHERE id = %s AND routing_status = 'queued' FOR UPDATE SKIP LOCKED
        ), agent AS (
            SELECT a.id, a.user_id FROM inter, agents_agentprofile a
            JOIN routing_queue_members m ON m.agentprofile_id = a.id AND m.queue_id = %s
            WHERE a.state = 'available' AND {capacity_sql("a", channel, pol)}
              AND NOT (a.id = ANY(inter.declined_agent_ids)) AND {eligible.text}
            ORDER BY (a.load_voice + a.load_video + a.load_chat + a.load_email) ASC, a.idle_since ASC, {tie_order}a.id
            LIMIT 1 FOR UPDATE OF a SKIP LOCKED
        ), upd_agent AS (
            UPDATE agents_agentprofile SET load_{channel} = agents_agentprofile.load_{channel} + 1
            FROM agent WHERE agents_agentprofile.id = agent.id RETURNING agents_agentprofile.id, agent.user_id
        ), upd_inter AS (
            UPDATE inbox_interaction SET routing_status = 'offered'
            FROM upd_agent WHERE inbox_interaction.id = %s RETURNING inbox_interaction.id
        ), ins AS (
            INSERT INTO routing_offer (interaction_id, agent_id, channel, status, created_at, expires_at)
            SELECT upd_inter.id, upd_agent.id, %s, 'pending', now(), now() + %s::interval
            FROM upd_inter, upd_agent RETURNING id, agent_id, expires_at
        )
        SELECT ins.id, ins.agent_id, upd_agent.user_id, ins.expires_at FROM ins, upd_agent
        """
        params = [
            interaction_id,
            queue_id,
            *eligible.params,
            *tie_skills,
            interaction_id,
            channel,
            _seconds(plan.offer_timeout),
        ]
        cursor.execute(sql, params)
        made = cursor.fetchone()
    if made is None:
        return WaitResult(None, wake_in)
    return WaitResult(
        OfferMade(
            offer_id=made[0],
            interaction_id=interaction_id,
            agent_id=made[1],
            user_id=made[2],
            channel=channel,
            expires_at=made[3],
            subject=subject,
            attributes=attributes,
            queue_name=plan.name,
        )
    )


# --- an agent frees capacity ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgentCard:
    """What routing needs to know about an agent that changes rarely. Cached per process without
    expiry: the decision statement compares `guard` (the facts as stored, and the agent's queues) with
    the locked row and refuses to decide on a stale card, which is then re-read. State, load and
    capacity are never cached: the decision reads them from the locked row."""

    facts: AgentFacts
    user_id: int
    queue_ids: tuple[int, ...]
    guard: tuple[str, list[str], str, str]  # skill_levels (json), languages, location, attributes (json)


_cards: dict[tuple[str, int], AgentCard] = {}


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value if value is not None else {})


def agent_card(agent_id: int) -> AgentCard | None:
    key = (current_schema(), agent_id)
    card = _cards.get(key)
    if card is not None:
        return card
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.skill_levels, a.languages, a.location, a.attributes, a.user_id, "
            "ARRAY(SELECT queue_id FROM routing_queue_members WHERE agentprofile_id = a.id ORDER BY queue_id) "
            "FROM agents_agentprofile a WHERE a.id = %s",
            [agent_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    skills, languages, location, attributes, user_id, queue_ids = row
    facts = AgentFacts(
        skills={k: int(v) for k, v in _json(skills).items()},
        languages=list(languages or []),
        location=location or "",
        attributes=_json(attributes),
    )
    card = AgentCard(
        facts=facts,
        user_id=user_id,
        queue_ids=tuple(queue_ids or ()),
        guard=(_json_text(skills), list(languages or []), location or "", _json_text(attributes)),
    )
    if card.queue_ids:  # with no queue there is no statement to notice when one is added: never cached
        if len(_cards) >= MAX_CACHED_AGENTS:
            _cards.clear()
            _statements.clear()
        _cards[key] = card
    return card


def _forget_card(agent_id: int) -> None:
    key = (current_schema(), agent_id)
    _cards.pop(key, None)
    _statements.pop(key, None)


@dataclass(frozen=True)
class _AgentStatement:
    """The decision statement of one agent, built from the objects it was compiled from; reused
    while the card, the plans and the policy are the same objects."""

    card: AgentCard
    plans: tuple[QueuePlan, ...]
    policy: Policy
    sql: str
    params: tuple[Any, ...]
    sql_all: str  # the same, ranking every candidate (see offer_to_agent)


_statements: dict[tuple[str, int], _AgentStatement] = {}

# The decision ranks this many of the agent's candidates (a bounded sort of narrow rows), then locks the
# best one not taken meanwhile; only when all of them were taken does it rank every candidate.
_TOP = 8


def _agent_statement(agent_id: int, card: AgentCard, plans: tuple[QueuePlan, ...], pol: Policy) -> _AgentStatement:
    key = (current_schema(), agent_id)
    hit = _statements.get(key)
    if (
        hit is not None
        and hit.card is card
        and hit.policy is pol
        and len(hit.plans) == len(plans)
        and all(a is b for a, b in zip(hit.plans, plans, strict=True))
    ):
        return hit
    # One candidate query over the agent's queues: each queue's steps folded against the agent's facts
    # (constant) into a condition on the interaction's columns.
    binding = Binding(card.facts, "i")
    terms = [_queue_term(plan, binding) for plan in plans]
    queue_ids = [p.queue_id for p in plans]
    # Before the step clock starts (the preferred agent's turn), only the preferred agent may take it.
    # Every condition is on the interaction's columns and parameters (none on `me`), so PostgreSQL
    # checks them once per row while scanning.
    arms = ["(i.queue_id = ANY(%s::bigint[]) AND i.preferred_agent_id = %s::bigint AND i.steps_start_at > now())"]
    where_params: list[Any] = [queue_ids, agent_id]
    for plan, t in zip(plans, terms, strict=True):
        if t.text != "false":
            arms.append(f"(i.queue_id = %s AND ({t.text}))")
            where_params += [plan.queue_id, *t.params]
    where = " OR ".join(arms)
    # Each queue's order, offer timeout and name come from the cached plans, looked up by queue id in
    # arrays (a join would make the planner scan the queues one by one).

    def of_queue(values: list[Any], sql_type: str) -> tuple[str, list[Any]]:
        return f"(%s::{sql_type}[])[array_position(%s::bigint[], i.queue_id)]", [values, queue_ids]

    priority, priority_params = of_queue([p.priority for p in plans], "int")
    aging, aging_params = of_queue([p.aging_per_minute for p in plans], "float8")
    timeout, timeout_params = of_queue([_seconds(p.offer_timeout) for p in plans], "interval")
    name, name_params = of_queue([p.name for p in plans], "text")
    schema = connection.ops.quote_name(current_schema())
    sql = f"""
    WITH me AS (
        SELECT a.id, {_room("a", pol)} AS room,
               (a.skill_levels = %s::jsonb AND a.languages::text[] = %s::text[] AND a.location = %s::text
                AND a.attributes = %s::jsonb
                AND ARRAY(SELECT m.queue_id::bigint FROM {schema}.routing_queue_members m
                          WHERE m.agentprofile_id = a.id ORDER BY 1) = %s::bigint[]) AS card_ok
        FROM {schema}.agents_agentprofile a WHERE a.id = %s::bigint AND a.state = 'available' FOR UPDATE
    ), top AS (
        SELECT i.id, {priority} AS queue_priority,
               i.priority + {aging} * date_part('epoch', now() - i.enqueued_at) / 60 AS aged_priority,
               i.enqueued_at
        FROM me, {schema}.inbox_interaction i
        WHERE me.card_ok AND i.routing_status = 'queued'
          AND i.channel = ANY(me.room) AND NOT (me.id = ANY(i.declined_agent_ids))
          AND ({where})
        ORDER BY queue_priority DESC, aged_priority DESC, i.enqueued_at, i.id
        LIMIT {_TOP}
    ), cand AS (
        SELECT i.id, i.channel, {timeout} AS timeout, i.subject, i.attributes, {name} AS queue_name
        FROM me, top JOIN {schema}.inbox_interaction i ON i.id = top.id
        WHERE i.routing_status = 'queued' AND NOT (me.id = ANY(i.declined_agent_ids))
        ORDER BY top.queue_priority DESC, top.aged_priority DESC, top.enqueued_at, top.id
        LIMIT 1 FOR UPDATE OF i SKIP LOCKED
    ), upd_agent AS (
        UPDATE {schema}.agents_agentprofile a SET {_LOAD_INCREMENT}
        FROM me, cand WHERE a.id = me.id
        RETURNING a.id, a.load_voice, a.load_video, a.load_chat, a.load_email,
                  a.capacity_voice, a.capacity_video, a.capacity_chat, a.capacity_email
    ), upd_inter AS (
        UPDATE {schema}.inbox_interaction i SET routing_status = 'offered'
        FROM cand, upd_agent WHERE i.id = cand.id RETURNING i.id, cand.channel, cand.timeout, upd_agent.id AS agent_id
    ), ins AS (
        INSERT INTO {schema}.routing_offer (interaction_id, agent_id, channel, status, created_at, expires_at)
        SELECT upd_inter.id, upd_inter.agent_id, upd_inter.channel, 'pending', now(), now() + upd_inter.timeout
        FROM upd_inter RETURNING id, interaction_id, channel, expires_at
    )
    SELECT me.card_ok, (SELECT count(*) FROM top), ins.*, cand.subject, cand.attributes, cand.queue_name, upd_agent.*
    FROM me LEFT JOIN (ins JOIN cand ON cand.id = ins.interaction_id CROSS JOIN upd_agent) ON true
    """
    skills, languages, location, attributes = card.guard
    head = [skills, languages, location, attributes, queue_ids, agent_id, *priority_params, *aging_params]
    params = _stable(*head, *where_params, *timeout_params, *name_params)
    sql = " ".join(sql.split())  # short enough for psycopg's cache of parsed queries (4 kB)
    statement = _AgentStatement(
        card=card,
        plans=plans,
        policy=pol,
        sql=sql,
        sql_all=sql.replace(f"LIMIT {_TOP} ", "LIMIT ALL ", 1),
        params=params,
    )
    _statements[key] = statement
    return statement


def offer_to_agent(agent_id: int) -> OfferMade | None:
    """Offer the best interaction this agent may take, if any."""
    pol = policy()
    rank_all = False
    for _attempt in range(4):
        card = agent_card(agent_id)
        if card is None or not card.queue_ids:
            return None
        statement = _agent_statement(agent_id, card, tuple(queue_plan(q) for q in card.queue_ids), pol)
        with _prepared_cursor() as cursor:
            cursor.execute(statement.sql_all if rank_all else statement.sql, statement.params)
            made = cursor.fetchone()
        if made is None:
            return None  # not available
        card_ok, ranked = made[0], made[1]
        if not card_ok:
            _forget_card(agent_id)  # skills, languages, attributes or queues changed: re-read, decide again
            continue
        if made[2] is None and not rank_all and ranked >= _TOP:
            # Every one of the best few was taken or locked by other deciders meanwhile: rank them all.
            rank_all = True
            continue
        break
    else:
        return None
    if made[2] is None:
        return None
    return OfferMade(
        offer_id=made[2],
        interaction_id=made[3],
        agent_id=agent_id,
        user_id=card.user_id,
        channel=made[4],
        expires_at=made[5],
        subject=made[6],
        attributes=_json(made[7]),
        queue_name=made[8],
        agent_has_room=any(
            _has_room(c, dict(zip(CH, made[10:14], strict=True)), dict(zip(CH, made[14:18], strict=True)), pol)
            for c in CH
        ),
    )


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


def _has_room(channel: str, loads: dict[str, int], caps: dict[str, int], pol: Policy) -> bool:
    calls = loads["voice"] + loads["video"]
    if channel in CALL_CHANNELS:
        return calls < caps[channel] and not (pol.chats_block_calls and loads["chat"])
    return loads[channel] < caps[channel] and not (pol.calls_block_other_channels and calls)


def _queue_term(plan: QueuePlan, binding: Binding) -> Sql:
    """SQL true for the interactions of this queue the agent (row `me`) may take now. Elapsed step time is
    compared as timestamps (`steps_start_at <= now() - 30 s`), and neighbouring steps with the same
    folded condition are merged, so a typical term is one or two comparisons per row."""
    # (start, end, condition) windows of the step clock in which the agent may take it.
    windows: list[tuple[float, float | None, Sql]] = []

    def add(start: float, end: float | None, cond: Sql) -> None:
        if windows and windows[-1][1] == start and windows[-1][2] == cond:
            windows[-1] = (windows[-1][0], end, cond)
        else:
            windows.append((start, end, cond))

    for step in plan.steps:
        folded = compile_node(step.node, binding)
        if folded is not False:
            add(step.start, step.end, _fold_sql(folded))
    last_end = plan.steps[-1].end if plan.steps else 0.0
    if last_end is not None:
        add(last_end, None, Sql("true"))  # every step ran out: anyone in the queue
    parts: list[Sql] = []
    for start, end, cond in windows:
        texts = ["i.steps_start_at <= now() - %s::interval"]
        params: list[Any] = [_seconds(start)]
        if end is not None:
            texts.append("i.steps_start_at > now() - %s::interval")
            params.append(_seconds(end))
        if cond.text != "true":
            texts.append(cond.text)
            params += cond.params
        parts.append(Sql("(" + " AND ".join(texts) + ")", params))
    if not parts:
        return Sql("false")
    return Sql(" OR ".join(p.text for p in parts), [x for p in parts for x in p.params])


def offer_to_specific_agent(interaction_id: int, agent_id: int) -> OfferMade | None:
    """Offer a queued interaction to one named agent (a transfer), whatever the queue's steps, if
    that agent is available and has room. Same locks and capacity rules as the other decisions."""
    pol = policy()
    sql = f"""
    WITH inter AS (
        SELECT i.id, i.channel, i.subject, i.attributes, q.offer_timeout_seconds, q.name AS queue_name
        FROM inbox_interaction i LEFT JOIN routing_queue q ON q.id = i.queue_id
        WHERE i.id = %s AND i.routing_status = 'queued' FOR UPDATE OF i SKIP LOCKED
    ), agent AS (
        SELECT a.id, a.user_id FROM agents_agentprofile a, inter
        WHERE a.id = %s AND a.state = 'available' AND {_capacity_case("a", "inter.channel", pol)}
        FOR UPDATE OF a SKIP LOCKED
    ), upd_agent AS (
        UPDATE agents_agentprofile a SET {_LOAD_INCREMENT.replace("cand.", "inter.")}
        FROM agent, inter WHERE a.id = agent.id RETURNING a.id, agent.user_id
    ), upd_inter AS (
        UPDATE inbox_interaction i SET routing_status = 'offered' FROM upd_agent, inter
        WHERE i.id = inter.id RETURNING i.id
    ), ins AS (
        INSERT INTO routing_offer (interaction_id, agent_id, channel, status, created_at, expires_at)
        SELECT upd_inter.id, upd_agent.id, inter.channel, 'pending', now(),
               now() + make_interval(secs => COALESCE(inter.offer_timeout_seconds, 20))
        FROM upd_inter, upd_agent, inter RETURNING id, expires_at
    )
    SELECT ins.id, ins.expires_at, upd_agent.user_id, inter.channel, inter.subject, inter.attributes, inter.queue_name
    FROM ins, upd_agent, inter
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [interaction_id, agent_id])
        made = cursor.fetchone()
    if made is None:
        return None
    return OfferMade(
        offer_id=made[0],
        interaction_id=interaction_id,
        agent_id=agent_id,
        user_id=made[2],
        channel=made[3],
        expires_at=made[1],
        subject=made[4],
        attributes=_json(made[5]),
        queue_name=made[6] or "",
    )
