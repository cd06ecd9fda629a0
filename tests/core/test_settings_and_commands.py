"""Production refuses unsafe settings; the demo seed is idempotent; the API is documented."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.tenants.models import Tenant
from tests.processes import ROOT

GOOD_KEY = "k" * 50


def load_production(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    code = "import django; django.setup(); from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, "DJANGO_SETTINGS_MODULE": "ccaas.settings.production", **env},
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "example.com"}, "DEBUG must be off"),
        ({"ALLOWED_HOSTS": "example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS must be set"),
    ],
)
def test_production_refuses_to_start_unsafely(env: dict[str, str], message: str) -> None:
    result = load_production(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_safe_settings() -> None:
    result = load_production(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="example.com,.example.com")
    assert result.returncode == 0, result.stderr
    assert "['example.com', '.example.com']" in result.stdout


def test_seed_demo_is_idempotent() -> None:
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    demo = Tenant.objects.get(subdomain="demo")
    with schema_context(demo.schema_name):
        assert sorted(User.objects.values_list("email", "role")) == [
            ("agent1@demo.test", "agent"),
            ("agent2@demo.test", "agent"),
            ("owner@demo.test", "owner"),
        ]
    client = Client(HTTP_HOST="demo.localhost")
    response = client.post(
        "/api/v1/auth/token",
        {"email": "agent1@demo.test", "password": "demo-password-1"},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_openapi_schema_and_docs_are_served(tenant_a: object) -> None:
    schema = Client(HTTP_HOST="localhost").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/signup" in schema.json()["paths"]
    tenant_schema = Client(HTTP_HOST=tenant_a.host).get("/api/schema/", HTTP_ACCEPT="application/json")  # type: ignore[attr-defined]
    assert {"/api/v1/auth/token", "/api/v1/me"} <= set(tenant_schema.json()["paths"])
    docs = Client(HTTP_HOST=tenant_a.host).get("/api/docs/")  # type: ignore[attr-defined]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_migrate_schemas_again_is_a_no_op_and_keeps_the_template() -> None:
    call_command("migrate_schemas", interactive=False, verbosity=0)
    assert Tenant.objects.filter(schema_name="tenant_template", is_template=True).count() == 1
    assert Tenant.objects.filter(schema_name="public").count() == 1
