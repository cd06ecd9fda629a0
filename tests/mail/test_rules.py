"""Routing rules for new mail and the mailboxes' API (issue 16): a rule by the sender's domain sends a
VIP's mail to its queue with its labels and priority, a subject rule of one mailbox only applies to
it, the first rule by position wins; bad rules are refused field by field; agents cannot change them,
supervisors read them, another tenant sees none."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.email.actions import mailbox_for
from apps.inbox.models import Interaction
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import Receiver
from tests.mail.test_mail_flow import settle


def client_for(tenant: TenantInfo, email: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def send(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_rules_route_new_mail(tenant_a: TenantInfo, tenant_b: TenantInfo, receiver: Receiver) -> None:
    connection.set_schema(tenant_a.schema_name)
    support = mailbox_for(["support"])
    vip = Queue.objects.create(name="VIP").pk
    billing = Queue.objects.create(name="Billing").pk
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    owner = client_for(tenant_a, tenant_a.email)
    domain = f"{tenant_a.subdomain}.mail.localhost"

    bad = send(owner, "post", "/api/v1/email/rules", {"field": "colour", "contains": "", "queue": 999})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"field"}
    bad = send(owner, "post", "/api/v1/email/rules", {"field": "subject", "contains": "x", "priority": 1000})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"priority"}
    bad = send(owner, "post", "/api/v1/email/rules", {"field": "subject", "contains": "x"})
    assert bad.status_code == 400 and "queue" in bad.json()["error"]["fields"]  # a rule that does nothing
    made = send(owner, "post", "/api/v1/email/rules", {
        "field": "sender_domain", "contains": "vip.example", "queue": vip, "labels": ["vip"], "priority": 5,
        "position": 1})  # fmt: skip
    assert made.status_code == 201, made.json()
    invoices = send(
        owner, "post", "/api/v1/email/mailboxes", {"name": "Invoices", "local_part": "invoices", "queue": billing}
    )
    assert invoices.status_code == 201 and invoices.json()["address"] == f"invoices@{domain}"
    clash = send(owner, "post", "/api/v1/email/mailboxes", {"name": "X", "local_part": "support", "queue": billing})
    assert clash.json()["error"]["fields"] == {"local_part": ["Another mailbox has this address."]}
    only_support = send(owner, "post", "/api/v1/email/rules", {
        "field": "subject", "contains": "refund", "queue": billing, "mailbox": support.pk, "position": 2})  # fmt: skip
    assert only_support.status_code == 201

    # A VIP asking for a refund: the domain rule comes first.
    vip_mail = fixtures.first_mail(f"support@{domain}", message_id="v1@mail.vip.example").replace(
        b"wu.lei@example.com", b"boss@mail.vip.example").replace(b"Where is my order?", b"Refund please")  # fmt: skip
    receiver.send(vip_mail, [f"support@{domain}"], sender="boss@mail.vip.example")
    # Anyone else's refund, to support: billing. The same subject to invoices: that rule is not theirs.
    refund = fixtures.first_mail(f"support@{domain}", message_id="r1@example.com").replace(
        b"Where is my order?", b"A refund for order 9"
    )
    receiver.send(refund, [f"support@{domain}"])
    other = fixtures.first_mail(f"invoices@{domain}", message_id="r2@example.com").replace(
        b"Where is my order?", b"Refund of invoice 4").replace(b"wu.lei@", b"li.na@")  # fmt: skip
    receiver.send(other, [f"invoices@{domain}"])
    settle(tenant_a.schema_name)
    routed = {i.subject: (i.queue.name, i.labels, i.priority) for i in Interaction.objects.select_related("queue")}  # type: ignore[union-attr]
    assert routed["Refund please"][:2] == ("VIP", ["vip"])
    assert routed["A refund for order 9"][0] == "Billing" and routed["Refund of invoice 4"][0] == "Billing"
    assert Interaction.objects.get(subject="Refund please").priority == 5
    connection.set_schema_to_public()

    # Supervisors read, agents and other tenants get nothing.
    assert len(client_for(tenant_a, f"sue@{tenant_a.subdomain}.test").get("/api/v1/email/rules").json()["results"]) == 2
    sue = client_for(tenant_a, f"sue@{tenant_a.subdomain}.test")
    assert (
        send(
            sue,
            "delete" if False else "post",
            "/api/v1/email/rules",
            {"field": "subject", "contains": "y", "queue": vip},
        ).status_code
        == 403
    )
    assert client_for(tenant_a, f"ann@{tenant_a.subdomain}.test").get("/api/v1/email/rules").status_code == 403
    assert client_for(tenant_b, tenant_b.email).get("/api/v1/email/rules").json()["results"] == []
    assert owner.delete(f"/api/v1/email/rules/{made.json()['id']}").status_code == 204
    assert owner.delete(f"/api/v1/email/rules/{made.json()['id']}").status_code == 404
