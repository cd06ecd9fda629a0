"""The email answer and forward APIs (issue 16): an agent who is not on the conversation is refused; a
chat is not answered by mail; bad copies and a forward with no address are 400 with the field named, and
nothing is posted; the assigned agent's answer with Cc and Bcc reaches the mail server with them."""

from __future__ import annotations

from django.db import connection

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.email.models import Email
from apps.inbox.models import Interaction, Message
from tests.conftest import PASSWORD, TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.mail.test_mail_flow import settle
from tests.mail.test_rules import client_for, send


def test_reply_and_forward_api(tenant_a: TenantInfo, receiver: Receiver, sink: Sink) -> None:
    domain = f"{tenant_a.subdomain}.mail.localhost"
    receiver.send(fixtures.first_mail(f"support@{domain}", message_id="api-1@example.com"), [f"support@{domain}"])
    settle(tenant_a.schema_name)
    thread = Interaction.objects.get(channel="email")
    mail = Email.objects.get(direction="in")
    ann = User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    User.objects.create_user(email=f"bob@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    Interaction.objects.filter(pk=thread.pk).update(assignee=ann, assigned_agent=ensure_agent_profile(ann))
    chat = Interaction.objects.create(channel="chat", queue=thread.queue)
    connection.set_schema_to_public()

    bob = client_for(tenant_a, f"bob@{tenant_a.subdomain}.test")
    answer = send(bob, "post", f"/api/v1/email/interactions/{thread.pk}/reply", {"body": "Hi"})
    assert answer.status_code == 403
    assert send(bob, "post", f"/api/v1/email/mails/{mail.pk}/forward", {"to": "x@example.com"}).status_code == 403

    ann_client = client_for(tenant_a, f"ann@{tenant_a.subdomain}.test")
    reply = f"/api/v1/email/interactions/{thread.pk}/reply"
    assert send(ann_client, "post", f"/api/v1/email/interactions/{chat.pk}/reply", {"body": "Hi"}).status_code == 404
    bad = send(ann_client, "post", reply, {"body": "Hi", "cc": "li.na@example.com, nope"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"cc"}
    bad = send(ann_client, "post", reply, {"body": "  "})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"body"}
    bad = send(ann_client, "post", f"/api/v1/email/mails/{mail.pk}/forward", {"to": ""})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"to"}
    connection.set_schema(tenant_a.schema_name)
    assert not Message.objects.filter(interaction=thread, kind="agent").exists()
    connection.set_schema_to_public()

    made = send(
        ann_client, "post", reply, {"body": "On its way.", "cc": ["Li.Na@example.com"], "bcc": "boss@acme.example"}
    )
    assert made.status_code == 201, made.content
    [sent] = [m for m in sink.to("wu.lei@example.com", sent_by=domain, count=2) if "On its way." in m.get_content()]
    assert sent["Cc"] == "li.na@example.com" and "Bcc" not in sent
    assert "boss@acme.example" in sink.envelopes[str(sent["Message-ID"])]
