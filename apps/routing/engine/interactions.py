"""An interaction arrived or came back: offer it to the best eligible agent (one statement)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection

from ..expressions import Binding, Sql, compile_node
from .plans import (
    _LOAD_INCREMENT,
    CH,
    OfferMade,
    _capacity_case,
    _fold_sql,
    _json,
    _seconds,
    capacity_sql,
    policy,
    queue_plan,
)

logger = logging.getLogger(__name__)

_TOTAL_LOAD = " + ".join(f"a.load_{c}" for c in CH)


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
            ORDER BY ({_TOTAL_LOAD}) ASC, a.idle_since ASC, {tie_order}a.id
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
