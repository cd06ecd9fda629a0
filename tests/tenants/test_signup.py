"""Self-sign-up: the API and the page, good and bad input, atomicity, rate limit."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from apps.accounts.models import User
from apps.tenants.models import Domain, Tenant
from tests.conftest import PASSWORD, unique_subdomain


def api_signup(body: dict[str, Any], ip: str | None = None) -> Any:
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR=ip or f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    return client.post("/api/v1/signup", data=json.dumps(body), content_type="application/json")


def good_body(**overrides: Any) -> dict[str, Any]:
    sub = unique_subdomain("s")
    return {
        "company_name": "Acme Widgets",
        "subdomain": sub,
        "email": f"boss@{sub}.test",
        "password": PASSWORD,
        **overrides,
    }


def nothing_created(subdomain: str) -> None:
    from apps.tenants.validation import schema_name_for

    assert not Tenant.objects.filter(subdomain=subdomain).exists()
    assert not Domain.objects.filter(domain__startswith=f"{subdomain}.").exists()
    assert not schema_exists(schema_name_for(subdomain))


def test_signup_creates_a_working_tenant() -> None:
    body = good_body()
    response = api_signup(body)
    assert response.status_code == 201, response.content
    sub = body["subdomain"]
    assert response.json() == {"tenant": {"subdomain": sub, "url": f"http://{sub}.localhost/"}}
    tenant = Tenant.objects.get(subdomain=sub)
    assert tenant.name == "Acme Widgets"
    assert Domain.objects.get(tenant=tenant).domain == f"{sub}.localhost"
    assert schema_exists(tenant.schema_name)
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert owner.email == body["email"] and owner.role == User.Role.OWNER
    # The owner is the tenant's own user, not the platform's.
    assert not User.objects.filter(email=body["email"]).exists()
    # The owner can use the tenant's API right away.
    client = Client(HTTP_HOST=f"{sub}.localhost")
    token = client.post(
        "/api/v1/auth/token", {"email": body["email"], "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["tenant"] == {"name": "Acme Widgets", "subdomain": sub}


def test_new_tenant_schema_is_cloned_with_every_tenant_table() -> None:
    body = good_body()
    assert api_signup(body).status_code == 201
    schema = Tenant.objects.get(subdomain=body["subdomain"]).schema_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'tenant_template'")
        template_tables = {row[0] for row in cursor.fetchall()}
    assert {"accounts_user", "authtoken_token", "django_session"} <= tables
    assert tables == template_tables


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subdomain": "www"}, "subdomain", "reserved"),
        ({"subdomain": "admin"}, "subdomain", "reserved"),
        ({"subdomain": "-leading"}, "subdomain", "lowercase letters"),
        ({"subdomain": "under_score"}, "subdomain", "lowercase letters"),
        ({"subdomain": "dot.ted"}, "subdomain", "lowercase letters"),
        ({"subdomain": "x" * 41}, "subdomain", "at most 40"),
        ({"subdomain": ""}, "subdomain", "Choose a subdomain"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password": "12345678901"}, "password", "entirely numeric"),
        ({"password": "short"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"company_name": "  "}, "company_name", "company"),
        ({"company_name": 42}, "company_name", "string"),
    ],
)
def test_bad_input_gets_field_errors_and_leaves_nothing(overrides: dict[str, Any], field: str, message: str) -> None:
    body = good_body(**overrides)
    before = Tenant.objects.count()
    response = api_signup(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in " ".join(error["fields"][field])
    assert Tenant.objects.count() == before
    if isinstance(body["subdomain"], str) and body["subdomain"]:
        nothing_created(body["subdomain"])


def test_taken_subdomain_is_refused() -> None:
    body = good_body()
    assert api_signup(body).status_code == 201
    again = api_signup({**body, "email": "other@example.com"})
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["subdomain"] == ["This subdomain is already taken."]
    assert Tenant.objects.filter(subdomain=body["subdomain"]).count() == 1


def test_malformed_json_body_gets_a_clear_error() -> None:
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.1.1.1")
    response = client.post("/api/v1/signup", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    response = client.post("/api/v1/signup", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Send a JSON object."


def test_signup_that_fails_halfway_leaves_no_schema_domain_or_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner cannot be created after the schema was cloned and the domain written: all is undone."""

    def explode(*args: Any, **kwargs: Any) -> None:
        assert connection.schema_name.startswith("t_")  # we really are past the clone
        raise RuntimeError("disk full")

    monkeypatch.setattr(User.objects, "create_user", explode)
    body = good_body()
    with pytest.raises(RuntimeError):
        from apps.tenants.actions import do_signup
        from apps.tenants.validation import check_signup

        do_signup(check_signup(body))
    nothing_created(body["subdomain"])


def test_api_answers_a_clean_500_when_signup_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(User.objects, "create_user", lambda *a, **k: 1 / 0)
    body = good_body()
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.2.2.2", raise_request_exception=False)
    response = client.post("/api/v1/signup", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    nothing_created(body["subdomain"])


def test_signups_are_rate_limited_per_client_address(settings: Any) -> None:
    settings.SIGNUP_RATE_LIMIT_PER_HOUR = 2
    ip = f"10.77.{uuid.uuid4().int % 250}.1"
    assert api_signup(good_body(), ip=ip).status_code == 201
    assert api_signup(good_body(subdomain="www"), ip=ip).status_code == 400  # failed attempts count too
    blocked_body = good_body()
    blocked = api_signup(blocked_body, ip=ip)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    nothing_created(blocked_body["subdomain"])
    # Another address is not affected.
    assert api_signup(good_body(), ip=f"10.78.{uuid.uuid4().int % 250}.1").status_code == 201


def test_two_simultaneous_signups_for_one_subdomain_make_one_tenant() -> None:
    sub = unique_subdomain("race")
    results: list[int] = []

    def attempt(n: int) -> None:
        try:
            results.append(api_signup(good_body(subdomain=sub, email=f"u{n}@x.test")).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 400]
    assert Tenant.objects.filter(subdomain=sub).count() == 1


def test_signup_page_shows_field_errors_and_keeps_what_was_typed() -> None:
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.3.3.3")
    page = client.post("/signup/", {"company_name": "Acme", "subdomain": "www", "email": "bad", "password": "1"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "This subdomain is reserved." in html
    assert "Enter a valid email address." in html
    assert 'value="Acme"' in html


def test_signup_page_logs_the_owner_in_on_the_tenant_host() -> None:
    body = good_body()
    public = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.4.4.4")
    response = public.post("/signup/", body)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"http://{body['subdomain']}.localhost/auth/handoff/?token=")
    tenant_client = Client(HTTP_HOST=f"{body['subdomain']}.localhost")
    path = location.split("localhost", 1)[1]
    landed = tenant_client.get(path, follow=True)
    assert landed.status_code == 200
    assert "Welcome to Acme Widgets" in landed.content.decode()
    # The hand-off link works once only.
    again = Client(HTTP_HOST=f"{body['subdomain']}.localhost").get(path, follow=True)
    assert "That sign-in link has expired" in again.content.decode()
    assert "Welcome to Acme Widgets" not in again.content.decode()
