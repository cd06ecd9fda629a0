"""The team page and API: create, activate and deactivate users within the seats billing allows.
Seats are counted whenever Stripe keys are configured; a trial needs no call to Stripe."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.actions import NewUserInput, do_activate_user, do_create_user, do_deactivate_user
from apps.accounts.models import TeamAuditEntry, User
from apps.billing.errors import SeatLimitReached
from apps.core.errors import ValidationFailed
from tests.conftest import PASSWORD, TenantInfo


@pytest.fixture(autouse=True)
def _billing_on(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_not_called_during_a_trial"


def owner(info: TenantInfo) -> User:
    return User.objects.get(email=info.email)


def new_user(info: TenantInfo, name: str, role: str = "agent") -> NewUserInput:
    return NewUserInput(email=f"{name.lower()}@{info.subdomain}.test", full_name=name, password=PASSWORD, role=role)


def client_for(info: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=info.host)
    with schema_context(info.schema_name):
        assert client.login(username=email or info.email, password=PASSWORD)
    return client


def test_seats_limit_creation_and_activation_owner_is_free(tenant_a: TenantInfo) -> None:
    with schema_context(tenant_a.schema_name):
        boss = owner(tenant_a)
        ann = do_create_user(new_user(tenant_a, "Ann"), actor=boss)
        do_create_user(new_user(tenant_a, "Sue", "supervisor"), actor=boss)
        do_create_user(new_user(tenant_a, "Ada", "admin"), actor=boss)  # the trial's 3 seats are used
        with pytest.raises(SeatLimitReached) as refused:
            do_create_user(new_user(tenant_a, "Dan"), actor=boss)
        assert "Your trial includes 3 seats and all are in use" in refused.value.message
        assert refused.value.add_seats_url == "/billing/#seats"
        assert not User.objects.filter(email__startswith="dan@").exists()

        do_deactivate_user(ann, actor=boss)
        dan = do_create_user(new_user(tenant_a, "Dan"), actor=boss)
        with pytest.raises(SeatLimitReached):
            do_activate_user(ann, actor=boss)
        do_deactivate_user(dan, actor=boss)
        assert do_activate_user(ann, actor=boss).is_active
        actions = list(TeamAuditEntry.objects.filter(subject=ann).values_list("action", flat=True))
        assert actions == ["activated", "deactivated", "created"]
        assert TeamAuditEntry.objects.filter(subject=ann, action="activated").get().actor == boss


def test_owner_and_self_cannot_be_deactivated_and_agents_cannot_manage(tenant_a: TenantInfo) -> None:
    with schema_context(tenant_a.schema_name):
        boss = owner(tenant_a)
        admin = do_create_user(new_user(tenant_a, "Ada", "admin"), actor=boss)
        agent = do_create_user(new_user(tenant_a, "Al"), actor=boss)
        with pytest.raises(ValidationFailed, match="owner"):
            do_deactivate_user(boss, actor=admin)
        with pytest.raises(ValidationFailed, match="yourself"):
            do_deactivate_user(admin, actor=admin)
        from apps.core.errors import PermissionDenied

        with pytest.raises(PermissionDenied):
            do_deactivate_user(admin, actor=agent)


def test_two_concurrent_activations_cannot_both_take_the_last_seat(tenant_a: TenantInfo) -> None:
    with schema_context(tenant_a.schema_name):
        boss = owner(tenant_a)
        users = [do_create_user(new_user(tenant_a, n), actor=boss) for n in ("Ann", "Bob", "Cid")]
        for u in users[1:]:
            do_deactivate_user(u, actor=boss)
        do_create_user(new_user(tenant_a, "Dee"), actor=boss)  # 2 of 3 seats used, one free
    results: list[str] = []
    barrier = threading.Barrier(2)

    def activate(user: User) -> None:
        try:
            with schema_context(tenant_a.schema_name):
                barrier.wait()
                do_activate_user(user, actor=boss)
                results.append("ok")
        except SeatLimitReached:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(u,)) for u in users[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["ok", "refused"]
    with schema_context(tenant_a.schema_name):
        assert User.objects.filter(is_active=True, role="agent").count() == 3


def test_team_page_creates_and_refuses_with_a_link_to_add_seats(tenant_a: TenantInfo) -> None:
    client = client_for(tenant_a)
    page = client.get("/team/").content.decode()
    assert "0 of 3 seats in use" in page and tenant_a.email in page
    for name in ("Ann", "Bob", "Cid"):
        response = client.post(
            "/team/", {"full_name": name, "email": f"{name}@x.test", "password": PASSWORD, "role": "agent"}
        )
        assert response.status_code == 302
    refused = client.post("/team/", {"full_name": "Dan", "email": "dan@x.test", "password": PASSWORD, "role": "agent"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Your trial includes 3 seats and all are in use" in html
    assert 'href="/billing/#seats" data-testid="seat-limit-link"' in html
    assert 'value="Dan"' in html  # the form keeps what was typed

    bad = client.post("/team/", {"full_name": "", "email": "nope", "password": "123", "role": "owner"})
    assert bad.status_code == 400
    for field in ("full_name", "email", "password", "role"):
        assert f'data-field="{field}"' in bad.content.decode()

    with schema_context(tenant_a.schema_name):
        ann = User.objects.get(email="ann@x.test")
    assert client.post(f"/team/{ann.pk}/deactivate/").status_code == 302
    assert "2 of 3 seats in use" in client.get("/team/").content.decode()
    assert client.post(f"/team/{ann.pk}/activate/").status_code == 302
    assert client.post("/team/999999/activate/").status_code == 404


def test_team_api(tenant_a: TenantInfo) -> None:
    client = client_for(tenant_a)
    body = {"email": "api@x.test", "full_name": "Api Agent", "password": PASSWORD}
    created = client.post("/api/v1/team/members/create", json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["role"] == "agent" and created.json()["is_active"]
    user_id = created.json()["id"]
    off = client.post(f"/api/v1/team/members/{user_id}/deactivate")
    assert off.status_code == 200 and off.json()["is_active"] is False
    listed = client.get("/api/v1/team/members").json()
    assert {m["email"] for m in listed} == {tenant_a.email, "api@x.test"}
    for n in range(3):
        body = {"email": f"a{n}@x.test", "full_name": f"A{n}", "password": PASSWORD}
        client.post("/api/v1/team/members/create", json.dumps(body), content_type="application/json")
    refused = client.post(f"/api/v1/team/members/{user_id}/activate")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "seat_limit_reached" and error["add_seats_url"] == "/billing/#seats"
    # A deactivated user cannot sign in.
    with schema_context(tenant_a.schema_name):
        assert not Client(HTTP_HOST=tenant_a.host).login(username="api@x.test", password=PASSWORD)
        assert Client(HTTP_HOST=tenant_a.host).login(username="a0@x.test", password=PASSWORD)
