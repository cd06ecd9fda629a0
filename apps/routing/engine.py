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
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from apps.agents.models import CALL_CHANNELS, RoutingSettings
from apps.core.tenancy import current_schema

from .expressions import AgentFacts, Binding, ExpressionError, KnownNames, Node, Sql, compile_node, parse, skills_in

logger = logging.getLogger(__name__)

PLAN_TTL_SECONDS = 5.0  # queue steps and tenant policy are re-read at most this often per process


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
    _cache[cache_key] = (now, value)
    return value


def forget_cached_plans() -> None:
    """Drop this process's cached plans (after a queue's steps change; other processes wait out the TTL)."""
    _cache.clear()


def queue_plan(queue_id: int) -> QueuePlan:
    def load() -> QueuePlan:
        from .expressions import known_names
        from .models import Queue

        queue = Queue.objects.get(pk=queue_id)
        known: KnownNames = known_names()
        steps: list[Step] = []
        clock = 0.0
        for step in queue.steps.all():
            try:
                node = parse(step.expression, known)
            except ExpressionError:
                # Saved steps are validated; one broken since (a skill deleted) matches nobody.
                logger.warning("Routing step %s of queue %s no longer parses", step.pk, queue_id)
                from .expressions import Const

                node = Const(False)
            end = None if step.duration_seconds is None else clock + step.duration_seconds
            steps.append(Step(start=clock, end=end, node=node, skills=tuple(skills_in(node))))
            if end is None:
                break
            clock = end
        return QueuePlan(queue_id=queue_id, steps=tuple(steps), offer_timeout=queue.offer_timeout_seconds)

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


def offer_interaction(interaction_id: int) -> OfferMade | None:
    """Offer a queued interaction to the best eligible agent, if there is one. Call outside any
    transaction that holds agent locks (it may be inside one holding nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queue_id, channel, attributes, preferred_agent_id, declined_agent_ids, routing_status, "
            "EXTRACT(EPOCH FROM (now() - steps_start_at))::float, subject, "
            "(SELECT name FROM routing_queue WHERE id = queue_id) FROM inbox_interaction WHERE id = %s",
            [interaction_id],
        )
        row = cursor.fetchone()
        if row is None or row[5] != "queued" or row[0] is None:
            return None
        queue_id, channel, attributes, preferred_agent_id, declined, _status, elapsed, subject, queue_name = row
        attributes = _json(attributes)
        plan = queue_plan(queue_id)
        pol = policy()
        attrs = {**attributes, "channel": channel}
        tie_skills: tuple[str, ...] = ()
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
            return None
        tie_sql = " + ".join(["COALESCE((a.skill_levels->>%s)::int, 0)"] * len(tie_skills))
        tie_order = f"({tie_sql}) DESC, " if tie_skills else ""
        sql = f"""
        WITH inter AS (
            SELECT id FROM inbox_interaction WHERE id = %s AND routing_status = 'queued' FOR UPDATE SKIP LOCKED
        ), agent AS (
            SELECT a.id, a.user_id FROM agents_agentprofile a
            JOIN routing_queue_members m ON m.agentprofile_id = a.id AND m.queue_id = %s
            WHERE EXISTS (SELECT 1 FROM inter) AND a.state = 'available' AND {capacity_sql("a", channel, pol)}
              AND NOT (a.id = ANY(%s)) AND {eligible.text}
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
            SELECT upd_inter.id, upd_agent.id, %s, 'pending', now(), now() + make_interval(secs => %s)
            FROM upd_inter, upd_agent RETURNING id, agent_id, expires_at
        )
        SELECT ins.id, ins.agent_id, upd_agent.user_id, ins.expires_at FROM ins, upd_agent
        """
        params = [
            interaction_id,
            queue_id,
            list(declined or []),
            *eligible.params,
            *tie_skills,
            interaction_id,
            channel,
            plan.offer_timeout,
        ]
        cursor.execute(sql, params)
        made = cursor.fetchone()
    if made is None:
        return None
    return OfferMade(
        offer_id=made[0],
        interaction_id=interaction_id,
        agent_id=made[1],
        user_id=made[2],
        channel=channel,
        expires_at=made[3],
        subject=subject,
        attributes=attributes,
        queue_name=queue_name,
    )


@dataclass(frozen=True)
class AgentCard:
    """What routing needs to know about an agent that changes rarely (cached like queue plans).
    State, load and capacity are never cached: the decision reads them from the locked row."""

    facts: AgentFacts
    user_id: int
    queue_ids: tuple[int, ...]


def agent_card(agent_id: int) -> AgentCard | None:
    def load() -> AgentCard | None:
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
        return AgentCard(facts=facts, user_id=user_id, queue_ids=tuple(queue_ids or ()))

    card: AgentCard | None = _cached("agent", agent_id, load)
    return card


def offer_to_agent(agent_id: int) -> OfferMade | None:
    """Offer the best interaction this agent may take, if any."""
    pol = policy()
    card = agent_card(agent_id)
    if card is None or not card.queue_ids:
        return None
    binding = Binding(card.facts, "i")
    queue_terms = [_queue_term(queue_id, queue_plan(queue_id), binding, agent_id) for queue_id in card.queue_ids]
    # One candidate query over the agent's queues: each queue's steps folded against the agent's facts
    # (constant) into a condition on the interaction's columns. Membership and capacity are checked
    # against the locked agent row, so cached facts can never over-assign.
    where = " OR ".join(f"(i.queue_id = %s AND {t.text})" for t in queue_terms)
    where_params: list[Any] = []
    for t in queue_terms:
        where_params += [t.queue_id, *t.params]
    sql = f"""
    WITH me AS (
        SELECT id, load_voice, load_video, load_chat, load_email,
               capacity_voice, capacity_video, capacity_chat, capacity_email
        FROM agents_agentprofile WHERE id = %s AND state = 'available' FOR UPDATE
    ), cand AS (
        SELECT i.id, i.channel, q.offer_timeout_seconds, i.subject, i.attributes, q.name AS queue_name
        FROM me, inbox_interaction i JOIN routing_queue q ON q.id = i.queue_id
        WHERE i.routing_status = 'queued' AND i.queue_id IN (
                SELECT m.queue_id FROM routing_queue_members m WHERE m.agentprofile_id = me.id)
          AND {_capacity_case("me", "i.channel", pol)} AND NOT (me.id = ANY(i.declined_agent_ids))
          AND ({where})
        ORDER BY q.priority DESC,
                 i.priority + q.priority_aging_per_minute * EXTRACT(EPOCH FROM (now() - i.enqueued_at)) / 60 DESC,
                 i.enqueued_at ASC, i.id ASC
        LIMIT 1 FOR UPDATE OF i SKIP LOCKED
    ), upd_agent AS (
        UPDATE agents_agentprofile a SET {_LOAD_INCREMENT}
        FROM cand WHERE a.id = %s
        RETURNING a.id, a.load_voice, a.load_video, a.load_chat, a.load_email,
                  a.capacity_voice, a.capacity_video, a.capacity_chat, a.capacity_email
    ), upd_inter AS (
        UPDATE inbox_interaction i SET routing_status = 'offered'
        FROM cand, upd_agent WHERE i.id = cand.id RETURNING i.id, cand.channel, cand.offer_timeout_seconds
    ), ins AS (
        INSERT INTO routing_offer (interaction_id, agent_id, channel, status, created_at, expires_at)
        SELECT upd_inter.id, %s, upd_inter.channel, 'pending', now(),
               now() + make_interval(secs => upd_inter.offer_timeout_seconds)
        FROM upd_inter RETURNING id, interaction_id, channel, expires_at
    )
    SELECT ins.id, ins.interaction_id, ins.channel, ins.expires_at, cand.subject, cand.attributes,
           cand.queue_name, upd_agent.load_voice, upd_agent.load_video, upd_agent.load_chat,
           upd_agent.load_email, upd_agent.capacity_voice, upd_agent.capacity_video, upd_agent.capacity_chat,
           upd_agent.capacity_email
    FROM ins, cand, upd_agent
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [agent_id, *where_params, agent_id, agent_id])
        made = cursor.fetchone()
    if made is None:
        return None
    return OfferMade(
        offer_id=made[0],
        interaction_id=made[1],
        agent_id=agent_id,
        user_id=card.user_id,
        channel=made[2],
        expires_at=made[3],
        subject=made[4],
        attributes=_json(made[5]),
        queue_name=made[6],
        agent_has_room=any(
            _has_room(c, dict(zip(CH, made[7:11], strict=True)), dict(zip(CH, made[11:15], strict=True)), pol)
            for c in CH
        ),
    )


def _has_room(channel: str, loads: dict[str, int], caps: dict[str, int], pol: Policy) -> bool:
    calls = loads["voice"] + loads["video"]
    if channel in CALL_CHANNELS:
        return calls < caps[channel] and not (pol.chats_block_calls and loads["chat"])
    return loads[channel] < caps[channel] and not (pol.calls_block_other_channels and calls)


@dataclass
class QueueTerm:
    queue_id: int
    text: str
    params: list[Any]


def _queue_term(queue_id: int, plan: QueuePlan, binding: Binding, agent_id: int) -> QueueTerm:
    """SQL true for the interactions of this queue the agent may take now, or None for none."""
    el = "EXTRACT(EPOCH FROM (now() - i.steps_start_at))"
    # Before the step clock starts, only the preferred agent may take it.
    parts = [Sql(f"({el} < 0 AND i.preferred_agent_id = %s)", [agent_id])]
    all_steps_true = True
    for step in plan.steps:
        folded = compile_node(step.node, binding)
        if folded is not True:
            all_steps_true = False
        if folded is False:
            continue
        cond = _fold_sql(folded)
        window = f"{el} >= %s" + (f" AND {el} < %s" if step.end is not None else "")
        params: list[Any] = [step.start] + ([step.end] if step.end is not None else [])
        parts.append(Sql(f"({window} AND {cond.text})", params + cond.params))
    last_end = plan.steps[-1].end if plan.steps else 0.0
    if all_steps_true:
        parts = [parts[0], Sql(f"({el} >= 0)")]
    elif last_end is not None:
        parts.append(Sql(f"({el} >= %s)", [last_end]))  # every step ran out: anyone in the queue
    text = " OR ".join(p.text for p in parts)
    return QueueTerm(queue_id=queue_id, text=f"({text})", params=[x for p in parts for x in p.params])


def waiting_elapsed(interaction_id: int) -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM (now() - steps_start_at))::float FROM inbox_interaction "
            "WHERE id = %s AND routing_status = 'queued'",
            [interaction_id],
        )
        row = cursor.fetchone()
    return None if row is None else float(row[0])


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
