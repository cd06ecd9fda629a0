"""Invitations, profiles and password reset through Django's test client (the browser tests in
test_team_browser.py drive the same pages with real mail). Mail here goes to Django's outbox."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.actions import NewUserInput, do_create_user
from apps.accounts.invitations import INVITATION_DAYS, InvitationInput, do_invite_user
from apps.accounts.models import AuditEntry, Invitation, TeamAuditEntry, User
from apps.agents.models import AgentProfile
from apps.routing.models import Queue
from apps.widget.actions import interaction_state
from tests.conftest import PASSWORD, TenantInfo

NEW_PASSWORD = "another-staple-battery-7"


def client_for(info: TenantInfo, email: str | None = None, password: str = PASSWORD) -> Client:
    client = Client(HTTP_HOST=info.host)
    with schema_context(info.schema_name):
        assert client.login(username=email or info.email, password=password)
    return client


def invitation_link(to: str) -> str:
    [message] = [m for m in mail.outbox if to in m.to]
    match = re.search(r"https?://\S+/invitation/\S+/", str(message.body))
    assert match, message.body
    return match.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_invite_accept_once_and_the_new_member_can_join_a_queue(tenant_a: TenantInfo) -> None:
    owner = client_for(tenant_a)
    response = owner.post("/team/invite/", {"email": "Ivy@X.test", "role": "supervisor"})
    assert response.status_code == 302
    assert "An invitation was sent to ivy@x.test." in owner.get("/team/").content.decode()
    link = invitation_link("ivy@x.test")
    assert link.startswith(f"http://{tenant_a.subdomain}.localhost/invitation/")
    [message] = mail.outbox
    assert message.alternatives and "text/html" in message.alternatives[0][1]  # type: ignore[attr-defined]
    assert message.subject == "You are invited to join Alpha Ltd"

    invitee = Client(HTTP_HOST=tenant_a.host)
    page = invitee.get(path_of(link))
    assert page.status_code == 200 and "ivy@x.test" in page.content.decode()
    bad = invitee.post(path_of(link), {"full_name": "", "password": "123"})
    assert bad.status_code == 400
    assert 'data-field="full_name"' in bad.content.decode() and 'data-field="password"' in bad.content.decode()
    done = invitee.post(path_of(link), {"full_name": "Ivy Ink", "password": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/"
    assert "Ivy Ink" in invitee.get("/").content.decode()  # signed in

    again = Client(HTTP_HOST=tenant_a.host).get(path_of(link))
    assert again.status_code == 410 and "already been used" in again.content.decode()
    reposted = Client(HTTP_HOST=tenant_a.host).post(path_of(link), {"full_name": "X", "password": NEW_PASSWORD})
    assert reposted.status_code == 410

    with schema_context(tenant_a.schema_name):
        ivy = User.objects.get(email="ivy@x.test")
        assert ivy.role == "supervisor" and ivy.full_name == "Ivy Ink" and ivy.is_active
        agent = AgentProfile.objects.get(user=ivy)  # at once, without opening the desktop
        boss = User.objects.get(email=tenant_a.email)
        assert TeamAuditEntry.objects.get(subject=ivy, action="created").actor == boss
        verbs = set(AuditEntry.objects.values_list("verb", flat=True))
        assert {"invitation.sent", "invitation.accepted", "agent_profile.created"} <= verbs
        queue = Queue.objects.get(name="Support")
    patched = owner.patch(
        f"/api/v1/queues/{queue.pk}", json.dumps({"members": [agent.pk]}), content_type="application/json"
    )
    assert patched.status_code == 200, patched.content
    with schema_context(tenant_a.schema_name):
        assert list(Queue.objects.get(pk=queue.pk).members.all()) == [agent]


def test_expired_tampered_replaced_and_withdrawn_links_get_a_clear_page(
    tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    owner = client_for(tenant_a)
    for email in ("old@x.test", "re@x.test", "gone@x.test"):
        assert owner.post("/team/invite/", {"email": email, "role": "agent"}).status_code == 302
    visitor = Client(HTTP_HOST=tenant_a.host)

    old = path_of(invitation_link("old@x.test"))
    with schema_context(tenant_a.schema_name):
        Invitation.objects.filter(email="old@x.test").update(expires_at=timezone.now() - timedelta(seconds=1))
        assert Invitation.objects.get(email="old@x.test").created_at > timezone.now() - timedelta(days=INVITATION_DAYS)
    expired = visitor.get(old)
    assert expired.status_code == 410 and "This invitation has expired" in expired.content.decode()

    tampered = visitor.get(old[:-3] + ("A" if old[-3] != "A" else "B") + old[-2:])
    assert tampered.status_code == 410 and "not valid" in tampered.content.decode()
    assert visitor.get("/invitation/nonsense/").status_code == 410

    first = path_of(invitation_link("re@x.test"))
    with schema_context(tenant_a.schema_name):
        invitation = Invitation.objects.get(email="re@x.test")
    mail.outbox.clear()
    assert owner.post(f"/team/invitations/{invitation.pk}/resend/").status_code == 302
    assert "newer invitation" in visitor.get(first).content.decode()
    assert visitor.get(path_of(invitation_link("re@x.test"))).status_code == 200

    with schema_context(tenant_a.schema_name):
        gone = Invitation.objects.get(email="gone@x.test")
    assert owner.post(f"/team/invitations/{gone.pk}/revoke/").status_code == 302
    assert "The invitation to gone@x.test was withdrawn." in owner.get("/team/").content.decode()
    with schema_context(tenant_a.schema_name):
        assert Invitation.objects.get(pk=gone.pk).status == "revoked"
    # Another tenant's host does not take the link.
    new = path_of(invitation_link("re@x.test"))
    assert Client(HTTP_HOST=tenant_b.host).get(new).status_code == 410


def test_invitations_respect_seats_and_refuse_duplicates(tenant_a: TenantInfo, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_not_called_during_a_trial"
    owner = client_for(tenant_a)
    assert owner.post("/team/invite/", {"email": "one@x.test", "role": "agent"}).status_code == 302
    dup = owner.post("/team/invite/", {"email": "one@x.test", "role": "agent"})
    assert dup.status_code == 400 and "already invited" in dup.content.decode()
    taken = owner.post("/team/invite/", {"email": tenant_a.email, "role": "agent"})
    assert taken.status_code == 400 and 'data-field="invite-email"' in taken.content.decode()

    with schema_context(tenant_a.schema_name):
        boss = User.objects.get(email=tenant_a.email)
        for name in ("a", "b", "c"):
            do_create_user(NewUserInput(f"{name}@x.test", name.upper(), PASSWORD, "agent"), actor=boss)
    refused = owner.post("/team/invite/", {"email": "four@x.test", "role": "agent"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Your trial includes 3 seats and all are in use" in html and 'data-testid="seat-limit-link"' in html
    assert 'value="four@x.test"' in html

    # The invitation sent while a seat was free: accepting finds none now.
    link = path_of(invitation_link("one@x.test"))
    late = Client(HTTP_HOST=tenant_a.host).post(link, {"full_name": "One", "password": NEW_PASSWORD})
    assert late.status_code == 409 and "no free seat for you" in late.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not User.objects.filter(email="one@x.test").exists()
        assert Invitation.objects.get(email="one@x.test").status == "pending"


def test_only_managers_invite(tenant_a: TenantInfo) -> None:
    with schema_context(tenant_a.schema_name):
        boss = User.objects.get(email=tenant_a.email)
        agent = do_create_user(NewUserInput("al@x.test", "Al", PASSWORD, "agent"), actor=boss)
        from apps.core.errors import PermissionDenied

        with pytest.raises(PermissionDenied):
            do_invite_user(InvitationInput("z@x.test", "agent"), actor=agent, tenant=tenant_a.tenant)
    assert client_for(tenant_a, "al@x.test").post("/team/invite/", {"email": "z@x.test"}).status_code == 403


def test_an_owner_who_signed_up_without_a_name_answers_customers_as_the_business() -> None:
    from apps.inbox.models import Interaction
    from apps.tenants.actions import do_signup
    from apps.tenants.validation import SignupInput
    from tests.conftest import unique_subdomain

    subdomain = unique_subdomain("n")
    result = do_signup(
        SignupInput(
            company_name="Nameless Shop", subdomain=subdomain, email=f"owner@{subdomain}.test", password=PASSWORD
        )
    )
    with schema_context(result.tenant.schema_name):
        owner = User.objects.get()
        assert owner.display_name == "Nameless Shop"
        chat = Interaction.objects.create(channel="chat", assignee=owner)
        assert interaction_state(chat)["agent"] == {"name": "Nameless Shop"}  # not "owner"


def test_role_change_and_deactivation_from_the_team_page(tenant_a: TenantInfo) -> None:
    with schema_context(tenant_a.schema_name):
        boss = User.objects.get(email=tenant_a.email)
        ann = do_create_user(NewUserInput("ann@x.test", "Ann", PASSWORD, "agent"), actor=boss)
    owner = client_for(tenant_a)
    assert owner.post(f"/team/{ann.pk}/role/", {"role": "supervisor"}).status_code == 302
    assert "Ann is now Supervisor." in owner.get("/team/").content.decode()
    refused = owner.post(f"/team/{boss.pk}/role/", {"role": "agent"})
    assert refused.status_code == 400 and "You cannot change your own role." in refused.content.decode()
    refused = owner.post(f"/team/{boss.pk}/deactivate/")
    assert refused.status_code == 400 and "You cannot deactivate yourself." in refused.content.decode()
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(pk=boss.pk).role == "owner"
        assert User.objects.get(pk=ann.pk).role == "supervisor"


def test_profile_name_is_what_customers_see_and_language_is_used(tenant_a: TenantInfo) -> None:
    from apps.inbox.models import Interaction

    owner = client_for(tenant_a)
    with schema_context(tenant_a.schema_name):
        boss = User.objects.get(email=tenant_a.email)
        chat = Interaction.objects.create(channel="chat", assignee=boss)
        assert interaction_state(chat)["agent"] == {"name": "Owner"}  # the sign-up's name
    bad = owner.post("/profile/", {"full_name": "", "language": "xx"})
    assert bad.status_code == 400
    assert 'data-field="full_name"' in bad.content.decode() and 'data-field="language"' in bad.content.decode()
    saved = owner.post("/profile/", {"full_name": "Olivia Owner", "language": "zh-hans"})
    assert saved.status_code == 302
    page = owner.get("/profile/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in page.content.decode()
    with schema_context(tenant_a.schema_name):
        chat.refresh_from_db()
        assert interaction_state(chat)["agent"] == {"name": "Olivia Owner"}
        assert AuditEntry.objects.filter(verb="user.profile_updated", actor=boss).exists()
    owner.post("/profile/", {"full_name": "Olivia Owner", "language": ""})
    assert '<html lang="en">' in owner.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_password_reset_does_not_tell_who_is_on_the_team(tenant_a: TenantInfo) -> None:
    visitor = Client(HTTP_HOST=tenant_a.host)
    known = visitor.post("/password-reset/", {"email": tenant_a.email})
    unknown = visitor.post("/password-reset/", {"email": "nobody@x.test"})
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [[tenant_a.email]]
    body = str(mail.outbox[0].body)
    match = re.search(rf"http://{tenant_a.subdomain}\.localhost/password-reset/\S+/", body)
    assert match, body
    confirm = visitor.get(path_of(match.group(0)), follow=True)
    assert confirm.status_code == 200 and "new_password1" in confirm.content.decode()
    done = visitor.post(confirm.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    with schema_context(tenant_a.schema_name):
        assert Client(HTTP_HOST=tenant_a.host).login(username=tenant_a.email, password=NEW_PASSWORD)
        assert not Client(HTTP_HOST=tenant_a.host).login(username=tenant_a.email, password=PASSWORD)
        assert AuditEntry.objects.filter(verb="user.password_reset").count() == 1
    reused = Client(HTTP_HOST=tenant_a.host).get(path_of(match.group(0)), follow=True)
    assert "This password reset link has expired or was already used." in reused.content.decode()


def test_a_mail_server_that_refuses_is_told_and_the_invitation_can_be_resent(
    tenant_a: TenantInfo, settings: Any
) -> None:
    from tests.processes import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    owner = client_for(tenant_a)
    assert owner.post("/team/invite/", {"email": "ned@x.test", "role": "agent"}).status_code == 302
    page = owner.get("/team/").content.decode()
    assert "The invitation to ned@x.test is saved, but the email could not be sent." in page
    assert 'data-email="ned@x.test"' in page  # in the invitations, with Re-send
    with schema_context(tenant_a.schema_name):
        invitation = Invitation.objects.get(email="ned@x.test", status="pending")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert owner.post(f"/team/invitations/{invitation.pk}/resend/").status_code == 302
    assert invitation_link("ned@x.test")


def test_password_reset_mail_is_limited_per_address(tenant_a: TenantInfo) -> None:
    visitor = Client(HTTP_HOST=tenant_a.host)
    answers = {visitor.post("/password-reset/", {"email": tenant_a.email})["Location"] for _ in range(7)}
    assert answers == {"/password-reset/sent/"}  # the same answer every time
    assert len(mail.outbox) == 5


def test_invitations_and_the_profile_over_the_api(tenant_a: TenantInfo) -> None:
    owner = client_for(tenant_a)
    JSON = "application/json"
    bad = owner.post("/api/v1/team/invitations", json.dumps({"email": "not an email"}), content_type=JSON)
    assert bad.status_code == 400 and "email" in bad.json()["error"]["fields"]
    created = owner.post(
        "/api/v1/team/invitations", json.dumps({"email": "Api@X.test", "role": "agent"}), content_type=JSON
    )
    assert created.status_code == 201, created.content
    invitation = created.json()
    assert invitation["email"] == "api@x.test" and invitation["status"] == "pending"
    first_link = invitation_link("api@x.test")
    again = owner.post("/api/v1/team/invitations", json.dumps({"email": "api@x.test"}), content_type=JSON)
    assert again.status_code == 400 and "already invited" in again.json()["error"]["fields"]["email"][0]
    assert [i["email"] for i in owner.get("/api/v1/team/invitations").json()] == ["api@x.test"]

    resent = owner.post(f"/api/v1/team/invitations/{invitation['id']}/resend")
    assert resent.status_code == 200
    assert Client(HTTP_HOST=tenant_a.host).get(path_of(first_link)).status_code == 410  # replaced
    revoked = owner.post(f"/api/v1/team/invitations/{invitation['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert owner.get("/api/v1/team/invitations").json() == []
    assert owner.post("/api/v1/team/invitations/999999/resend").status_code == 404

    with schema_context(tenant_a.schema_name):
        do_create_user(
            NewUserInput(email="ag@x.test", full_name="Ag", password=PASSWORD, role="agent"),
            actor=User.objects.get(email=tenant_a.email),
        )
    agent = client_for(tenant_a, "ag@x.test")
    assert agent.get("/api/v1/team/invitations").status_code == 403
    me = agent.patch("/api/v1/me", json.dumps({"full_name": "Agnes", "language": "zh-hans"}), content_type=JSON)
    assert me.status_code == 200 and me.json()["full_name"] == "Agnes" and me.json()["language"] == "zh-hans"
    refused = agent.patch("/api/v1/me", json.dumps({"language": "xx"}), content_type=JSON)
    assert refused.status_code == 400 and "language" in refused.json()["error"]["fields"]
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(email="ag@x.test").language == "zh-hans"
