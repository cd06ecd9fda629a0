"""Outgoing webhooks (issue 16) through a real worker to a real HTTP server: a new conversation is
posted to the tenant's own system, signed so that the secret the owner was shown verifies it; a 500
is retried and the second try succeeds, the log showing both answers; a replay sends the same delivery
again; a customer's message, an assignment, a resolution, a rating and a merge are each sent with the
ids and times documented; a webhook that keeps failing is turned off and says why."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.inbox.actions import do_open_interaction, do_post_message, do_record_csat, do_resolve
from apps.inbox.actions.contacts import do_merge_contacts
from apps.inbox.models import Contact, Interaction, Message
from apps.routing.actions import do_assign_interaction
from apps.routing.models import Queue
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo
from tests.processes import wait_until
from tests.webhooks.conftest import Receiver


def client_for(tenant: TenantInfo, email: str = "") -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email or tenant.email, "password": PASSWORD}).status_code == 302
    return client


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def subscribe(client: Client, url: str, events: list[str]) -> dict[str, Any]:
    made = send(client, "post", "/api/v1/webhooks/subscriptions", {"url": url, "events": events})
    assert made.status_code == 201, made.json()
    return dict(made.json())


def signature_ok(secret: str, received: Any) -> bool:
    """The receiver's check, as docs/webhooks.md writes it (not the product's own code)."""
    fields = dict(item.split("=", 1) for item in received.headers["X-CCaaS-Signature"].split(","))
    signed = fields["t"].encode() + b"." + received.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


def test_signed_delivery_retried_logged_and_replayed(
    tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker
) -> None:
    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/flaky"
    receiver.script[path] = [500]
    sub = subscribe(owner, receiver.url(path), ["interaction.created"])
    secret = sub["secret"]
    assert secret.startswith("whsec_") and sub["is_active"] is True
    listed = owner.get("/api/v1/webhooks/subscriptions").json()["results"]
    assert [s["url"] for s in listed] == [receiver.url(path)] and "secret" not in listed[0]  # shown once

    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    contact = Contact.objects.create(name="Carla", email="carla@example.com")
    chat = do_open_interaction(channel="chat", queue=queue, contact=contact, subject="Where is my order?")

    first, second = receiver.at(path, count=2, fire_timers=True)
    assert first.headers["X-CCaaS-Event"] == "interaction.created"
    assert first.headers["X-CCaaS-Delivery"] == second.headers["X-CCaaS-Delivery"]  # one delivery, tried twice
    assert first.body == second.body and signature_ok(secret, first) and signature_ok(secret, second)
    tampered = type(second)(second.path, second.headers, second.body.replace(b"Where", b"There"))
    assert not signature_ok(secret, tampered)
    event = second.json
    assert event["type"] == "interaction.created"
    data = event["data"]["interaction"]
    assert data["id"] == chat.pk and data["channel"] == "chat" and data["subject"] == "Where is my order?"
    assert data["queue"] == {"id": queue.pk, "name": "Support"} and data["contact"] == {"id": contact.pk}
    assert data["created_at"].startswith(chat.created_at.isoformat()[:19])

    connection.set_schema_to_public()
    deliveries = owner.get(f"/api/v1/webhooks/deliveries?subscription={sub['id']}").json()["results"]
    assert len(deliveries) == 1
    delivery_id = deliveries[0]["id"]

    def log() -> dict[str, Any]:
        return dict(owner.get(f"/api/v1/webhooks/deliveries/{delivery_id}").json())

    wait_until(lambda: log()["status"] == "succeeded", 10, "the delivery to be marked delivered")
    attempts = log()["attempt_log"]
    assert [(a["status_code"], a["succeeded"], a["manual"]) for a in attempts] == [
        (500, False, False),
        (200, True, False),
    ]
    assert attempts[0]["response_body"] == "Internal trouble: try again later"
    assert attempts[0]["error"] == "The receiver answered 500."
    assert all(a["duration_ms"] >= 0 for a in attempts) and attempts[1]["response_body"] == '{"ok": true}'

    replayed = send(owner, "post", f"/api/v1/webhooks/deliveries/{delivery_id}/replay")
    assert replayed.status_code == 202
    third = receiver.at(path, count=3)[2]
    assert third.headers["X-CCaaS-Delivery"] == first.headers["X-CCaaS-Delivery"] and third.body == first.body
    assert signature_ok(secret, third)
    wait_until(lambda: len(log()["attempt_log"]) == 3, 10, "the replay in the log")
    assert log()["attempt_log"][2]["manual"] is True and log()["status"] == "succeeded"

    # A new secret signs from now on; the old one no longer verifies.
    rotated = send(owner, "post", f"/api/v1/webhooks/subscriptions/{sub['id']}/rotate-secret").json()
    assert rotated["secret"] != secret
    send(owner, "post", f"/api/v1/webhooks/deliveries/{delivery_id}/replay")
    fourth = receiver.at(path, count=4)[3]
    assert signature_ok(rotated["secret"], fourth) and not signature_ok(secret, fourth)


def test_each_event_with_its_facts(tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker) -> None:
    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/all"
    events = ["interaction.assigned", "interaction.resolved", "message.created", "csat.received", "contact.merged"]
    secret = subscribe(owner, receiver.url(path), events)["secret"]

    connection.set_schema(tenant_a.schema_name)
    owner_user = User.objects.get(email=tenant_a.email)
    agent = AgentProfile.objects.get(user=owner_user)
    queue = Queue.objects.get(name="Support")
    contact = Contact.objects.create(name="Dan")
    chat = do_open_interaction(channel="chat", queue=queue, contact=contact)  # not subscribed: not sent
    do_post_message(chat, kind=Message.Kind.CUSTOMER, body="Hello, my parcel is late")
    do_assign_interaction(chat.pk, agent, actor=owner_user)
    do_post_message(chat, kind=Message.Kind.NOTE, body="private")  # notes are never sent
    do_post_message(Interaction.objects.get(pk=chat.pk), kind=Message.Kind.AGENT, body="Let me look", author=owner_user)
    do_resolve(Interaction.objects.get(pk=chat.pk), owner_user)
    do_record_csat(Interaction.objects.get(pk=chat.pk), 4, "quick")
    other = Contact.objects.create(name="Dan (again)")
    do_merge_contacts(contact, other, actor=owner_user)

    got = receiver.at(path, count=6)
    assert all(signature_ok(secret, r) for r in got)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in got:
        by_type.setdefault(r.json["type"], []).append(r.json["data"])
    assert sorted(by_type) == sorted(events)
    messages = sorted(by_type["message.created"], key=lambda d: d["message"]["seq"])
    assert [(m["message"]["kind"], m["message"]["body"]) for m in messages] == [
        ("customer", "Hello, my parcel is late"),
        ("agent", "Let me look"),
    ]
    assert messages[1]["message"]["author"]["user_id"] == owner_user.pk
    assigned = by_type["interaction.assigned"][0]
    assert assigned["agent"]["id"] == agent.pk and assigned["interaction"]["id"] == chat.pk
    resolved = by_type["interaction.resolved"][0]["interaction"]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] and resolved["agent"]["id"] == agent.pk
    assert (
        by_type["csat.received"][0]["csat"]["score"] == 4 and by_type["csat.received"][0]["csat"]["comment"] == "quick"
    )
    assert by_type["contact.merged"][0] == {"contact": {"id": contact.pk}, "merged": {"id": other.pk}}
    assert len(receiver.at(path)) == 6  # nothing else (the opening, the note, the system lines)


def test_failing_webhook_is_turned_off(tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker) -> None:
    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/down"
    receiver.script[path] = [503] * 10
    sub = subscribe(owner, receiver.url(path), ["interaction.created"])
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    do_open_interaction(channel="chat", queue=queue)
    receiver.at(path, count=4, fire_timers=True)  # the first try and three retries
    connection.set_schema_to_public()

    def current() -> dict[str, Any]:
        return dict(owner.get(f"/api/v1/webhooks/subscriptions/{sub['id']}").json())

    wait_until(lambda: current()["is_active"] is False, 10, "the webhook to be turned off")
    assert current()["disabled_reason"].startswith("Turned off: every delivery has failed since")
    assert "The receiver answered 503." in current()["disabled_reason"]
    delivery = owner.get("/api/v1/webhooks/deliveries").json()["results"][0]
    assert delivery["status"] == "failed" and delivery["attempts"] == 4

    connection.set_schema(tenant_a.schema_name)
    do_open_interaction(channel="chat", queue=queue)  # off: nothing is sent
    connection.set_schema_to_public()
    assert len(owner.get("/api/v1/webhooks/deliveries").json()["results"]) == 1
    again = send(owner, "patch", f"/api/v1/webhooks/subscriptions/{sub['id']}", {"is_active": True}).json()
    assert again["is_active"] is True and again["disabled_reason"] == "" and again["failing_since"] is None


def test_chat_hot_path_and_calls(tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker) -> None:
    """A widget's chat message takes the one-statement hot path (not the ORM action): it is sent too,
    without the customer's answer waiting for it. A call that ends is sent with its times."""
    import asyncio

    from apps.inbox.actions.hotpath import apost_message
    from apps.media.actions.calls import do_end_call_by_system, do_start_call
    from tests.ws import run_async

    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/hot"
    secret = subscribe(owner, receiver.url(path), ["message.created", "call.ended"])["secret"]
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    chat = do_open_interaction(channel="chat", queue=queue, contact=Contact.objects.create(name="Eve"))

    async def post_and_wait() -> dict[str, Any] | None:
        payload = await apost_message(tenant_a.schema_name, chat.pk, kind="customer", body="Via the hot path")
        deadline = time.monotonic() + 30
        while not [r for r in receiver.received if r.path == path] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the loop stays up while the event is handed on
        return payload

    assert run_async(post_and_wait()) is not None  # the hot path took it
    sent = receiver.at(path)[0]
    assert signature_ok(secret, sent)
    message = sent.json["data"]["message"]
    assert (message["kind"], message["body"], message["author"]) == ("customer", "Via the hot path", None)
    assert sent.json["data"]["interaction"]["id"] == chat.pk

    caller = Contact.objects.create(name="Frank")
    call = do_start_call(contact=caller, queue=queue, mode="audio", context={}, page={}, attributes={})
    do_end_call_by_system(call.call_id, "timeout")
    ended = receiver.at(path, count=2)[1]
    assert ended.headers["X-CCaaS-Event"] == "call.ended" and signature_ok(secret, ended)
    facts = ended.json["data"]["call"]
    assert facts["id"] == call.call_id and facts["mode"] == "audio" and facts["reason"] == "timeout"
    assert facts["answered_at"] is None and facts["ended_at"] and facts["talk_seconds"] is None
    assert ended.json["data"]["interaction"]["channel"] == "voice"
    assert ended.json["data"]["interaction"]["contact"] == {"id": caller.pk}
