# ruff: noqa: F811  (pytest fixtures imported from tests.routing.conftest)
"""Callbacks: the API (duplicates, bad input, position, cancel), the customer's place kept against
waiting chats and calls, retries driven by the timers' clock, a closed queue, and reports counting a
callback as a callback, not an abandon."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AuditEntry, User
from apps.agents.models import AgentState
from apps.core import timers as core_timers
from apps.inbox.actions import do_open_interaction
from apps.inbox.actions.callbacks import TIMER, do_record_callback_result
from apps.inbox.models import Callback, Contact, Interaction, Segment
from apps.reporting.actions import do_roll_up
from apps.reporting.models import IntervalStat
from apps.routing.actions import do_accept_offer, do_handle_max_wait, route_agent_now
from apps.routing.models import BusinessHours, Offer, Queue
from tests.conftest import PASSWORD, TenantInfo
from tests.routing.conftest import World, tenant, world  # noqa: F401  (fixtures)

PHONE = "+4930123456"


def api(info: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=info.host)
    token = client.post(
        "/api/v1/auth/token", {"email": email or info.email, "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


def post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def ago(seconds: float) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


def waiting(queue: Queue, channel: str, seconds_ago: float) -> Interaction:
    interaction = do_open_interaction(channel=channel, queue=queue, subject=f"{channel} {seconds_ago}")
    Interaction.objects.filter(pk=interaction.pk).update(enqueued_at=ago(seconds_ago), steps_start_at=ago(seconds_ago))
    return interaction


def test_the_api_answers_with_the_callback_its_position_and_the_existing_one_on_a_duplicate(
    tenant: TenantInfo, world: World
) -> None:
    queue = world.queue("Support")
    earlier = waiting(queue, "chat", 60)
    client = api(tenant)

    first = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": "+49 30 123456"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["state"] == "queued"
    assert body["position"] == 2  # behind the chat that waited before it
    assert body["phone"] == PHONE

    again = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Callback.objects.count() == 1

    shown = client.get(f"/api/v1/callbacks/{body['id']}")
    assert shown.status_code == 200 and shown.json()["position"] == 2
    interaction = Interaction.objects.get(pk=body["interaction"])
    assert (interaction.channel, interaction.direction, interaction.subject) == ("voice", "outbound", "Callback")
    assert interaction.attributes["callback_phone"] == PHONE

    cancelled = post(client, f"/api/v1/callbacks/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    interaction.refresh_from_db()
    assert interaction.routing_status == "abandoned"
    assert list(Segment.objects.filter(interaction=interaction, kind="callback").values_list("outcome", flat=True)) == [
        "cancelled"
    ]
    assert AuditEntry.objects.filter(verb="callback.cancelled").exists()
    # Over: a new request makes a new callback.
    renewed = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE})
    assert renewed.status_code == 201 and renewed.json()["id"] != body["id"]
    assert earlier.routing_status == "queued"


def test_bad_requests_are_400s_that_say_why_and_write_nothing(tenant: TenantInfo, world: World) -> None:
    hours = BusinessHours.objects.create(name="Weekdays", timezone="UTC", weekly={"mon": [["09:00", "17:00"]]})
    queue = world.queue("Support", business_hours=hours)
    always = world.queue("Always")
    client = api(tenant)

    def refused(body: dict[str, Any], field: str) -> str:
        response = post(client, "/api/v1/callbacks", body)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert field in error.get("fields", {}), error
        return str(error["message"])

    refused({"queue": always.pk, "phone": "12345"}, "phone")
    refused({"queue": always.pk, "phone": "+49 not a number"}, "phone")
    refused({"queue": always.pk}, "phone")
    refused({"queue": 999999, "phone": PHONE}, "queue")
    refused({"queue": always.pk, "phone": PHONE, "scheduled_at": ago(60).isoformat()}, "scheduled_at")
    # A Tuesday at noon UTC: the queue opens on Mondays only.
    today = timezone.now().date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    at = timezone.make_aware(timezone.datetime.combine(tuesday, timezone.datetime.min.time())) + timedelta(hours=12)
    message = refused({"queue": queue.pk, "phone": PHONE, "scheduled_at": at.isoformat()}, "scheduled_at")
    assert "closed" in message
    assert Callback.objects.count() == 0
    assert not Interaction.objects.exists()
    assert post(client, "/api/v1/callbacks/999999/cancel").status_code == 404
    assert client.get("/api/v1/callbacks/999999").status_code == 404
    assert Client(HTTP_HOST=tenant.host).get("/api/v1/callbacks/1").status_code in (401, 403)


def test_a_closed_queue_refuses_a_callback_now_and_takes_one_in_its_hours(tenant: TenantInfo, world: World) -> None:
    now = timezone.now()
    open_day = (now + timedelta(days=1)).strftime("%a").lower()
    hours = BusinessHours.objects.create(name="Tomorrow", timezone="UTC", weekly={open_day: [["00:00", "24:00"]]})
    queue = world.queue("Support", business_hours=hours)
    client = api(tenant)
    now_response = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE})
    assert now_response.status_code == 400
    assert "closed now" in now_response.json()["error"]["message"]
    assert not Callback.objects.exists() and not Interaction.objects.exists()

    slot = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    scheduled = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE, "scheduled_at": slot.isoformat()})
    assert scheduled.status_code == 201, scheduled.content
    body = scheduled.json()
    assert (body["state"], body["position"], body["interaction"]) == ("requested", None, None)
    due = core_timers.due_at(tenant.schema_name, TIMER, body["id"])
    assert due == pytest.approx(slot.timestamp(), abs=1)
    # Its time comes (the timers' clock): it waits in the queue with that time as its place.
    connection.set_schema_to_public()
    core_timers.fire_due(now=slot.timestamp() + 1)
    connection.set_schema(tenant.schema_name)
    callback = Callback.objects.get(pk=body["id"])
    assert callback.state == "queued"
    assert callback.interaction is not None and callback.interaction.enqueued_at == slot


def test_an_overflowed_chat_s_callback_keeps_its_place_against_waiting_chats_and_calls(
    tenant: TenantInfo, world: World
) -> None:
    queue = world.queue("Support", overflow_action=Queue.Overflow.CALLBACK, max_wait_seconds=300)
    oldest_chat = waiting(queue, "chat", 600)
    overflowed = waiting(queue, "chat", 400)
    do_handle_max_wait(overflowed.pk)
    overflowed.refresh_from_db()
    assert overflowed.routing_status == "callback"
    newer_call = waiting(queue, "voice", 200)
    newer_chat = waiting(queue, "chat", 100)

    callback_response = post(
        api(tenant), "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE, "interaction": overflowed.pk}
    )
    assert callback_response.status_code == 201
    body = callback_response.json()
    assert body["position"] == 2  # only the oldest chat is before it
    callback = Callback.objects.get(pk=body["id"])
    assert callback.interaction is not None
    assert callback.interaction.enqueued_at == overflowed.enqueued_at
    assert callback.interaction.case_id == overflowed.case_id
    # The overflow is counted as a callback request, not an abandon: in the record, the reports and
    # the customer's journey.
    assert list(Segment.objects.filter(interaction=overflowed, kind="queue").values_list("outcome", flat=True)) == [
        "callback_requested"
    ]
    do_roll_up()
    stats = IntervalStat.objects.filter(queue_id=queue.pk).aggregate(
        abandoned=Sum("abandoned"), callbacks=Sum("callbacks_requested")
    )
    assert stats == {"abandoned": 0, "callbacks": 1}
    contact = Contact.objects.create(name="Caller")
    Interaction.objects.filter(pk=overflowed.pk).update(contact=contact)
    journey = api(tenant).get(f"/api/v1/contacts/{contact.pk}/journey").json()
    entry = next(e for e in journey["entries"] if e.get("id") == overflowed.pk)
    assert entry["outcome"] == "callback"
    by_outcome = api(tenant).get(f"/api/v1/contacts/{contact.pk}/journey?outcome=callback").json()
    assert [e["id"] for e in by_outcome["entries"] if e["type"] == "interaction"] == [overflowed.pk]
    opened = api(tenant).get(f"/api/v1/contacts/{contact.pk}/journey?outcome=abandoned").json()
    assert [e for e in opened["entries"] if e["type"] == "interaction"] == []

    # An agent away gets nothing; available, with room for one chat and one call, they are offered the
    # oldest chat and the callback (older than the call that waits), not the newer ones.
    agent = world.agent(queues=[queue], state=AgentState.AWAY, capacity_chat=1, capacity_voice=1)
    assert route_agent_now(agent.pk) == []
    agent.state = AgentState.AVAILABLE
    agent.save(update_fields=["state"])
    offered = {o.interaction_id for o in route_agent_now(agent.pk)}
    assert offered == {oldest_chat.pk, callback.interaction.pk}
    assert not Offer.objects.filter(interaction__in=[newer_call, newer_chat]).exists()


def signed_in(info: TenantInfo, user: User) -> Client:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return api(info, user.email)


def accept_callback(callback: Callback, user: User) -> None:
    offer = Offer.objects.get(interaction_id=callback.interaction_id, status="pending")
    do_accept_offer(offer.pk, user)


def test_no_answer_retries_after_the_delay_then_fails_and_connected_ends_it(
    tenant: TenantInfo, world: World, settings: Any
) -> None:
    settings.CALLBACK_MAX_ATTEMPTS = 2
    settings.CALLBACK_RETRY_SECONDS = 60
    queue = world.queue("Support")
    agent = world.agent(queues=[queue], capacity_voice=1)
    client = api(tenant)
    body = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": PHONE}).json()
    callback = Callback.objects.get(pk=body["id"])
    place = callback.interaction.enqueued_at  # type: ignore[union-attr]
    assert client.get(f"/api/v1/callbacks/{callback.pk}").json()["state"] == "offered"

    accept_callback(callback, agent.user)
    callback.refresh_from_db()
    assert callback.state == "dialling"
    agent_client = signed_in(tenant, agent.user)
    bad = post(agent_client, f"/api/v1/callbacks/{callback.pk}/result", {"result": "maybe"})
    assert bad.status_code == 400
    other = world.agent(queues=[queue], state=AgentState.AWAY)
    assert (
        post(
            signed_in(tenant, other.user), f"/api/v1/callbacks/{callback.pk}/result", {"result": "connected"}
        ).status_code
        == 403
    )

    first = post(agent_client, f"/api/v1/callbacks/{callback.pk}/result", {"result": "no_answer"})
    assert first.status_code == 200, first.content
    assert (first.json()["state"], first.json()["attempts"]) == ("requested", 1)
    due = core_timers.due_at(tenant.schema_name, TIMER, callback.pk)
    assert due == pytest.approx(time.time() + 60, abs=3)
    assert not Offer.objects.filter(interaction_id=callback.interaction_id, status="pending").exists()

    connection.set_schema_to_public()
    core_timers.fire_due(now=time.time() + 30)  # not yet
    connection.set_schema(tenant.schema_name)
    callback.refresh_from_db()
    assert callback.state == "requested"
    connection.set_schema_to_public()
    core_timers.fire_due(now=time.time() + 61)
    connection.set_schema(tenant.schema_name)
    callback.refresh_from_db()
    assert callback.state == "queued"
    assert callback.interaction.enqueued_at == place  # type: ignore[union-attr]  # the same place again

    accept_callback(callback, agent.user)
    second = post(agent_client, f"/api/v1/callbacks/{callback.pk}/result", {"result": "no_answer"})
    assert (second.json()["state"], second.json()["attempts"]) == ("failed", 2)
    assert core_timers.due_at(tenant.schema_name, TIMER, callback.pk) is None
    outcomes = list(
        Segment.objects.filter(interaction_id=callback.interaction_id, kind="callback")
        .order_by("started_at")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["no_answer", "no_answer"]
    assert post(client, f"/api/v1/callbacks/{callback.pk}/cancel").json()["state"] == "failed"

    # Another number: answered at once.
    other_body = post(client, "/api/v1/callbacks", {"queue": queue.pk, "phone": "+8613800138000"}).json()
    connected = Callback.objects.get(pk=other_body["id"])
    accept_callback(connected, agent.user)
    done = do_record_callback_result(connected.pk, agent.user, "connected")
    assert (done.state, done.attempts) == ("connected", 1)
    segment = Segment.objects.get(interaction_id=connected.interaction_id, kind="callback")
    assert (segment.outcome, segment.agent_id, segment.data["phone"]) == ("connected", agent.pk, "+8613800138000")
    dialling_cancel = post(client, f"/api/v1/callbacks/{connected.pk}/cancel")
    assert dialling_cancel.json()["state"] == "connected"


def test_parallel_requests_for_one_number_make_one_callback(tenant: TenantInfo, world: World) -> None:
    import threading

    from apps.inbox.actions.callbacks import do_request_callback

    queue = world.queue("Support")
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(4)

    def request() -> None:
        try:
            connection.set_schema(tenant.schema_name)
            barrier.wait()
            callback, created = do_request_callback(queue=queue, phone=PHONE)
            results.append((callback.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert Callback.objects.count() == 1 and Interaction.objects.count() == 1


def test_a_queue_with_a_scheduled_callback_is_not_deleted_from_under_it(tenant: TenantInfo, world: World) -> None:
    from apps.core.errors import ApplicationError
    from apps.inbox.actions.callbacks import do_request_callback
    from apps.routing.queue_removal import do_delete_queue

    queue = world.queue("Support")
    do_request_callback(queue=queue, phone=PHONE, scheduled_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(ApplicationError) as refused:
        do_delete_queue(queue, actor=None)
    assert "1 callback" in str(refused.value)
    assert Queue.objects.filter(pk=queue.pk).exists()


def test_resolving_the_conversation_ends_an_active_callback(tenant: TenantInfo, world: World) -> None:
    from apps.inbox.actions import do_resolve
    from apps.inbox.actions.callbacks import do_request_callback

    queue = world.queue("Support")
    agent = world.agent(queues=[queue], capacity_voice=1)
    callback, _created = do_request_callback(queue=queue, phone=PHONE)
    accept_callback(callback, agent.user)
    callback.refresh_from_db()
    assert callback.state == "dialling"
    assert callback.interaction is not None
    do_resolve(callback.interaction, agent.user)  # without saying how the call went
    callback.refresh_from_db()
    assert (callback.state, callback.attempts) == ("connected", 1)
    assert Segment.objects.get(interaction_id=callback.interaction_id, kind="callback").outcome == "connected"
    again, created = do_request_callback(queue=queue, phone=PHONE)
    assert created and again.pk != callback.pk
