"""An agent freed capacity: offer them the best interaction they may take. The statement is built per
agent card (cached), prepared with a generic plan, and ranks a top few before locking."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection

from apps.agents.models import CALL_CHANNELS
from apps.core.tenancy import current_schema

from ..expressions import AgentFacts, Binding, Sql, compile_node
from .plans import (
    _LOAD_INCREMENT,
    CH,
    MAX_CACHED_AGENTS,
    OfferMade,
    Policy,
    QueuePlan,
    _fold_sql,
    _json,
    _prepared_cursor,
    _room,
    _seconds,
    _stable,
    policy,
    queue_plan,
)

logger = logging.getLogger(__name__)

_LOADS = ", ".join(f"a.load_{c}" for c in CH)
_CAPACITIES = ", ".join(f"a.capacity_{c}" for c in CH)


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


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value if value is not None else {})


_cards: dict[tuple[str, int], AgentCard] = {}


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
        RETURNING a.id, {_LOADS}, {_CAPACITIES}
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
    n = len(CH)
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
        agent_has_room=any(  # upd_agent's loads and capacities, in CH's order, after its id (9)
            _has_room(c, dict(zip(CH, made[10 : 10 + n], strict=True)), dict(zip(CH, made[10 + n :], strict=True)), pol)
            for c in CH
        ),
    )


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
