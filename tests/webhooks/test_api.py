"""The webhooks API's refusals (issue 16): a clear 400 for every bad subscription, nothing stored;
no address that leads to this machine or a private network (SSRF), neither when saved nor when sent
(a name may resolve elsewhere later); only the owner and admins manage webhooks; one tenant never sees
or replays another's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from apps.accounts.models import User
from apps.inbox.actions import do_open_interaction
from apps.routing.models import Queue
from apps.webhooks.models import Attempt, Delivery, Subscription
from apps.webhooks.sending import do_attempt
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_deliveries import client_for, send, subscribe

PRIVATE = [
    "https://127.0.0.1/hook",
    "https://localhost:8443/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
]


@pytest.fixture
def strict(settings: Any) -> None:
    """Production's rules: https only, public addresses only."""
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE = False


def test_bad_subscriptions_are_refused_field_by_field(tenant_a: TenantInfo, strict: None) -> None:
    owner = client_for(tenant_a)
    api = "/api/v1/webhooks/subscriptions"

    def refused(body: Any) -> dict[str, list[str]]:
        answer = send(owner, "post", api, body)
        assert answer.status_code == 400, (body, answer.content)
        return dict(answer.json()["error"]["fields"])

    for url in PRIVATE:
        assert refused({"url": url, "events": ["call.ended"]}) == {
            "url": ["This address leads to a private or local network; use a public address."]
        }, url
    assert refused({"url": "http://example.com/hook", "events": ["call.ended"]}) == {
        "url": ["The address must start with https://."]
    }
    assert refused({"url": "https://user:pw@example.com/", "events": ["call.ended"]})["url"] == [
        "Put no user name or password in the address; check the signature instead."
    ]
    assert refused({"url": "ftp://example.com/", "events": ["call.ended"]})["url"]
    assert refused({"url": "https:///nohost", "events": ["call.ended"]})["url"] == ["The address has no host name."]
    assert refused({"url": "https://example.com:99999/", "events": ["call.ended"]})["url"] == [
        "This is not a web address."
    ]
    assert refused({"url": "https://" + "a" * 2000 + ".com/", "events": ["call.ended"]})["url"]
    assert refused({"url": "https://127.0.0.1/", "events": []}) == {
        "url": ["This address leads to a private or local network; use a public address."],
        "events": ["Choose at least one event."],
    }
    assert refused({"url": 5, "events": ["call.ended", "order.paid"]}) == {
        "url": ["Enter the address to send events to."],
        "events": [
            "Unknown events: order.paid. Choose from: interaction.created, interaction.assigned, "
            "interaction.resolved, message.created, call.ended, csat.received, contact.merged."
        ],
    }
    assert "description" in refused({"url": "https://127.0.0.1/", "events": ["call.ended"], "description": 3})
    assert "non_field_errors" in refused({"url": "https://127.0.0.1/", "events": ["call.ended"], "colour": "red"})
    not_json = owner.post(api, "[1, 2]", content_type="application/json")
    assert not_json.status_code == 400 and not_json.json()["error"]["message"] == "Send a JSON object."
    broken = owner.post(api, "{nope", content_type="application/json")
    assert broken.status_code == 400
    assert send(owner, "patch", f"{api}/999999", {"is_active": True}).status_code == 404
    assert owner.get("/api/v1/webhooks/deliveries?subscription=abc").status_code == 400
    assert owner.get("/api/v1/webhooks/deliveries/999999").status_code == 404
    connection.set_schema(tenant_a.schema_name)
    assert not Subscription.objects.exists()


def test_an_address_that_turns_private_is_not_called(tenant_a: TenantInfo, receiver: Receiver, settings: Any) -> None:
    """Saved while allowed (as a name that resolved publicly then), refused at sending time: the check
    runs again before every attempt, and the attempt's log says why."""
    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/never"
    sub = subscribe(owner, receiver.url(path), ["contact.merged"])
    connection.set_schema(tenant_a.schema_name)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    delivery = Delivery.objects.create(
        subscription_id=sub["id"], event="contact.merged", event_id=uuid.uuid4(), body="{}"
    )
    assert do_attempt(delivery.pk) == "retrying"
    attempt = Attempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and attempt.error.startswith("This address leads to a private")
    assert not [r for r in receiver.received if r.path == path]


def test_only_owner_and_admins(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    for role in ("agent", "supervisor", "admin"):
        User.objects.create_user(email=f"{role}@{tenant_a.subdomain}.test", password=PASSWORD, role=role)
    connection.set_schema_to_public()
    body = {"url": "https://127.0.0.1/x", "events": ["call.ended"]}
    for role in ("agent", "supervisor"):
        client = client_for(tenant_a, f"{role}@{tenant_a.subdomain}.test")
        assert client.get("/api/v1/webhooks/subscriptions").status_code == 403
        assert send(client, "post", "/api/v1/webhooks/subscriptions", body).status_code == 403
        assert client.get("/settings/webhooks/").status_code == 403
    admin = client_for(tenant_a, f"admin@{tenant_a.subdomain}.test")
    assert send(admin, "post", "/api/v1/webhooks/subscriptions", body).status_code == 201
    assert anonymous(tenant_a).get("/api/v1/webhooks/subscriptions").status_code in (401, 403)


def anonymous(tenant: TenantInfo) -> Any:
    from django.test import Client

    return Client(HTTP_HOST=tenant.host)


def test_tenants_never_see_each_other(tenant_a: TenantInfo, tenant_b: TenantInfo, receiver: Receiver) -> None:
    a, b = client_for(tenant_a), client_for(tenant_b)
    path = f"/hooks/{tenant_a.subdomain}/isolated"
    sub = subscribe(a, receiver.url(path), ["interaction.created"])
    connection.set_schema(tenant_b.schema_name)
    do_open_interaction(channel="chat", queue=Queue.objects.get(name="Support"))  # b's event
    assert not Delivery.objects.exists()
    connection.set_schema(tenant_a.schema_name)
    do_open_interaction(channel="chat", queue=Queue.objects.get(name="Support"))
    delivery = Delivery.objects.get()
    connection.set_schema_to_public()

    assert b.get("/api/v1/webhooks/subscriptions").json()["results"] == []
    assert b.get("/api/v1/webhooks/deliveries").json()["results"] == []
    assert b.get(f"/api/v1/webhooks/subscriptions/{sub['id']}").status_code == 404
    assert b.get(f"/api/v1/webhooks/deliveries/{delivery.pk}").status_code == 404
    assert send(b, "post", f"/api/v1/webhooks/deliveries/{delivery.pk}/replay").status_code == 404
    assert send(b, "post", f"/api/v1/webhooks/subscriptions/{sub['id']}/rotate-secret").status_code == 404
    assert send(b, "delete", f"/api/v1/webhooks/subscriptions/{sub['id']}").status_code == 404
    assert len(a.get("/api/v1/webhooks/deliveries").json()["results"]) == 1
    page = b.get("/settings/webhooks/").content.decode()
    assert receiver.url(path) not in page and "Nothing sent yet." in page


def test_the_sweep_sends_what_was_left_and_forgets_old_deliveries(
    tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker
) -> None:
    """A delivery whose task was never queued (the broker was down) is sent by the next sweep; deliveries
    older than WEBHOOK_LOG_DAYS leave the log with their attempts."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.webhooks.tasks import sweep

    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/swept"
    sub = subscribe(owner, receiver.url(path), ["contact.merged"])
    connection.set_schema(tenant_a.schema_name)

    def delivery(age: timedelta, status: str) -> Delivery:
        return Delivery.objects.create(
            subscription_id=sub["id"], event="contact.merged", event_id=uuid.uuid4(), body='{"left": true}',
            created_at=timezone.now() - age, status=status,
        )  # fmt: skip

    old = delivery(timedelta(days=31), Delivery.Status.SUCCEEDED)
    Attempt.objects.create(delivery=old, number=1, status_code=200, succeeded=True)
    kept = delivery(timedelta(days=29), Delivery.Status.SUCCEEDED)
    left = delivery(timedelta(minutes=20), Delivery.Status.PENDING)
    connection.set_schema_to_public()
    assert sweep()[tenant_a.schema_name] == {"requeued": 1, "purged": 2}  # the old delivery and its attempt
    got = receiver.at(path)
    assert got[0].json == {"left": True} and got[0].headers["X-CCaaS-Delivery"] == str(left.uid)
    connection.set_schema(tenant_a.schema_name)
    assert sorted(Delivery.objects.values_list("pk", flat=True)) == [kept.pk, left.pk]


def test_change_and_remove_are_audited(tenant_a: TenantInfo, receiver: Receiver) -> None:
    from apps.accounts.models import AuditEntry

    owner = client_for(tenant_a)
    api = "/api/v1/webhooks/subscriptions"
    sub = subscribe(owner, receiver.url(f"/hooks/{tenant_a.subdomain}/change"), ["call.ended"])
    changed = send(owner, "patch", f"{api}/{sub['id']}", {"events": ["csat.received", "call.ended", "call.ended"]})
    assert changed.status_code == 200 and changed.json()["events"] == ["call.ended", "csat.received"]
    refused = send(owner, "patch", f"{api}/{sub['id']}", {"url": "gopher://x", "events": ["call.ended"]})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"url"}
    assert owner.get(f"{api}/{sub['id']}").json()["events"] == ["call.ended", "csat.received"]  # nothing half-saved
    assert send(owner, "delete", f"{api}/{sub['id']}").status_code == 204
    assert owner.get(api).json()["results"] == []
    connection.set_schema(tenant_a.schema_name)
    verbs = list(AuditEntry.objects.filter(verb__startswith="webhooks.").order_by("pk").values_list("verb", flat=True))
    assert verbs == ["webhooks.subscription_saved", "webhooks.subscription_saved", "webhooks.subscription_deleted"]


def test_the_secret_is_sealed_at_rest(tenant_a: TenantInfo, receiver: Receiver) -> None:
    """The database alone does not give the secret away; when it can no longer be unsealed (the server's
    SECRET_KEY changed) nothing is sent unsigned, and the log says to make a new secret."""
    owner = client_for(tenant_a)
    path = f"/hooks/{tenant_a.subdomain}/sealed"
    sub = subscribe(owner, receiver.url(path), ["contact.merged"])
    connection.set_schema(tenant_a.schema_name)
    stored = Subscription.objects.get(pk=sub["id"])
    assert sub["secret"] not in stored.secret and stored.secret_hint == sub["secret"][:10]
    assert sub["secret_hint"] == sub["secret"][:10] + "…"
    Subscription.objects.filter(pk=stored.pk).update(secret="sealed-with-another-key")
    delivery = Delivery.objects.create(
        subscription_id=stored.pk, event="contact.merged", event_id=uuid.uuid4(), body="{}"
    )
    do_attempt(delivery.pk, manual=True)
    error = Attempt.objects.get(delivery=delivery).error
    assert error == "Not sent: the secret can no longer be read; make a new secret."
    assert not [r for r in receiver.received if r.path == path]
