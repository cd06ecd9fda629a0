"""A received mail as written (issue 16): its HTML shown in a sandboxed frame, sanitised (no script, no
handler), its inline image pointing at the stored attachment, remote images held back and said so; the
conversation's agent and supervisors may read it, another agent and another tenant may not."""

from __future__ import annotations

import html

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.email.models import Email
from apps.inbox.models import Interaction
from tests.conftest import PASSWORD, TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import Receiver
from tests.mail.test_mail_flow import settle


def login(tenant: TenantInfo, email: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def test_the_mail_as_written(tenant_a: TenantInfo, tenant_b: TenantInfo, receiver: Receiver) -> None:
    support = f"support@{tenant_a.subdomain}.mail.localhost"
    raw = fixtures.apple_reply(support, "none@example.com", "<none@example.com>").replace(
        b'<img src="cid:label@apple">', b'<img src="cid:label@apple"><img src="https://tracker.example/p.gif">'
    )
    receiver.send(raw, [support])
    settle(tenant_a.schema_name)
    mail = Email.objects.get(msgid="A1B2C3D4-apple@example.com")
    interaction = Interaction.objects.get(pk=mail.interaction_id)
    ann = User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    User.objects.create_user(email=f"bob@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    Interaction.objects.filter(pk=interaction.pk).update(assignee=ann, assigned_agent=ensure_agent_profile(ann))
    attachment = interaction.attachments.get(name="label.png")
    connection.set_schema_to_public()
    url = f"/email/mails/{mail.pk}/"

    page = login(tenant_a, f"ann@{tenant_a.subdomain}.test").get(url)
    assert page.status_code == 200
    frame = page.content.decode()
    assert 'sandbox referrerpolicy="no-referrer"' in frame
    srcdoc = html.unescape(frame.split('srcdoc="', 1)[1].split('" data-testid', 1)[0])
    assert f'src="/inbox/attachments/{attachment.pk}"' in srcdoc
    assert 'data-held-src="https://tracker.example/p.gif"' in srcdoc and ' src="https:' not in srcdoc  # held back
    assert "<script" not in srcdoc and "onclick" not in srcdoc
    assert "1 remote image is not loaded" in frame
    assert login(tenant_a, tenant_a.email).get(url).status_code == 200  # the owner (a manager)
    assert login(tenant_a, f"bob@{tenant_a.subdomain}.test").get(url).status_code == 403
    listed = login(tenant_a, f"ann@{tenant_a.subdomain}.test").get(f"/api/v1/email/interactions/{interaction.pk}/mails")
    assert listed.json()["results"][0]["url"] == url
    assert login(tenant_b, tenant_b.email).get(url).status_code == 404
