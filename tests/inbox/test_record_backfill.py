"""The backfill migration gives interactions made before the record existed the segments the actions
would have written: a tenant schema is taken back to the migration before the record (its table and
column dropped, the facts left in offers, call events and the interaction's own columns), migrated
forward again, and what the backfill wrote is compared with what the live actions had written."""

# ruff: noqa: F811  (pytest fixtures imported from tests.routing.conftest)
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.inbox.actions import do_open_interaction, do_resolve
from apps.inbox.models import Contact, Interaction, Segment
from apps.routing.actions import do_accept_offer, do_expire_offer, do_reject_offer
from apps.routing.models import Offer
from tests.conftest import TenantInfo
from tests.routing.conftest import World, tenant, world  # noqa: F401

BEFORE_RECORD = ("inbox", "0007_contactidentity_verified")


def pending(interaction: Interaction) -> Offer:
    offer = Offer.objects.filter(interaction=interaction, status="pending").first()
    assert offer is not None
    return offer


def facts(interaction_ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """Every segment of these interactions, by what a report reads of it."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for s in Segment.objects.filter(interaction_id__in=interaction_ids).order_by("started_at", "pk"):
        out.setdefault(s.interaction_id, []).append(
            (s.kind, s.outcome, s.agent_id, s.queue_id, s.offer_id, s.started_at, s.ended_at)
        )
    return out


def test_backfill_recreates_the_record_of_older_interactions(world: World, tenant: TenantInfo) -> None:
    from apps.media.actions import Seat, do_answer_call, do_hold_call, do_join_call, do_leave_call, do_start_call

    q = world.queue("Support")
    ann = world.agent(queues=[q], idle_seconds_ago=100)
    bob = world.agent(queues=[q], idle_seconds_ago=50, capacity_chat=3)
    # A chat: rejected by Ann, timed out at Bob... then answered by Ann and resolved.
    chat = do_open_interaction(channel="chat", queue=q, subject="Refund")
    do_reject_offer(pending(chat).pk, ann.user)
    late = pending(chat)
    Offer.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    do_expire_offer(late.pk)
    Interaction.objects.filter(pk=chat.pk).update(declined_agent_ids=[])
    from apps.routing.actions import route_interaction_now

    route_interaction_now(chat.pk)
    final = pending(chat)
    do_accept_offer(final.pk, final.agent.user)
    chat.refresh_from_db()
    do_resolve(chat, final.agent.user)
    # A call answered, held and resumed, then hung up.
    call = do_start_call(
        contact=Contact.objects.create(name="Caller"), queue=q, mode="audio", context={}, page={}, attributes={}
    )
    answered = do_accept_offer(pending(call.interaction).pk, pending(call.interaction).agent.user)
    agent_user = answered.assignee
    do_answer_call(answered, agent_user)
    seat, _ = do_join_call(call.call_id, agent_user)
    do_hold_call(seat, True)
    do_hold_call(seat, False)
    do_leave_call(seat)
    # A call abandoned while it rang, and a chat still waiting.
    abandoned = do_start_call(
        contact=Contact.objects.create(name="Gone"), queue=q, mode="audio", context={}, page={}, attributes={}
    )
    do_leave_call(Seat(abandoned.call_id, "customer", "customer"))
    for agent in (ann, bob):
        agent.state = "offline"
        agent.save(update_fields=["state"])
    waiting = do_open_interaction(channel="chat", queue=q)

    ids = [chat.pk, call.interaction_id, abandoned.interaction_id, waiting.pk]
    live = facts(ids)
    assert set(live) == set(ids)

    # Back to before the record: the table and the direction column go, the facts stay.
    connection.set_schema(tenant.schema_name)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_RECORD])
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('inbox_segment')")
        assert cursor.fetchone()[0] is None
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    backfilled = facts(ids)
    assert all(s.data.get("backfilled") for s in Segment.objects.filter(interaction_id__in=ids))
    # What the actions wrote and what the backfill rebuilt agree, segment by segment, except the
    # after-contact work (wrap-up is an agent's state, not stored per interaction before).
    for iid in ids:
        expected = [row for row in live[iid] if row[0] != "acw"]
        assert sorted(backfilled[iid], key=repr) == sorted(expected, key=repr), iid
    # Running it again adds nothing (an interaction that has segments is left alone).
    from importlib import import_module

    from django.apps import apps as global_apps

    backfill = import_module("apps.inbox.migrations.0009_backfill_segments").backfill
    count = Segment.objects.count()
    backfill(global_apps, None)
    assert Segment.objects.count() == count
