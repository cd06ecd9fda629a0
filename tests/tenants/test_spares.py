"""The pool of spare schemas: a sign-up renames a spare cloned from the current template instead of
cloning (constant time), falls back to cloning without one, gives the spare back when it fails, never
hands one spare to two sign-ups; the refill task (a real Celery worker) and `migrate_schemas` keep the
pool full and current."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from apps.accounts.models import User
from apps.core.tasks import enqueue_in_tenant
from apps.routing.models import Queue
from apps.tenants.actions import (
    SignupResult,
    do_refill_spare_schemas,
    do_signup,
    drop_spare_schemas,
    make_spare_schema,
    migrations_fingerprint,
)
from apps.tenants.models import TEMPLATE_SCHEMA, SpareSchema, Tenant
from apps.tenants.tasks import refill_spare_schemas
from apps.tenants.validation import check_signup
from tests.conftest import PASSWORD, create_tenant
from tests.processes import wait_until
from tests.tenants.test_signup import api_signup, good_body, nothing_created


@pytest.fixture(autouse=True)
def empty_pool() -> Iterator[None]:
    """Every test starts and ends with no spares, so the rest of the suite keeps cloning."""
    drop_spare_schemas()
    yield
    connection.set_schema_to_public()
    drop_spare_schemas()


def namespace_oid(schema: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def tables_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def signup(**overrides: Any) -> SignupResult:
    return do_signup(check_signup(good_body(**overrides)))


def spares() -> list[str]:
    return list(SpareSchema.objects.order_by("id").values_list("schema_name", flat=True))


def test_signup_renames_a_spare_and_the_tenant_works() -> None:
    spare = make_spare_schema()
    other_spare = make_spare_schema()
    oid = namespace_oid(spare)
    assert spare.startswith("spare_") and oid is not None
    assert tables_of(spare) == tables_of(TEMPLATE_SCHEMA)

    body = good_body()
    assert api_signup(body).status_code == 201
    tenant = Tenant.objects.get(subdomain=body["subdomain"])
    # The very schema that was the spare, renamed; taken out of the pool; the other spare untouched.
    assert namespace_oid(tenant.schema_name) == oid
    assert not schema_exists(spare)
    assert spares() == [other_spare]
    assert tables_of(tenant.schema_name) == tables_of(TEMPLATE_SCHEMA)

    # The owner logs in on the tenant's host and uses its API.
    host = f"{body['subdomain']}.localhost"
    client = Client(HTTP_HOST=host)
    token = client.post(
        "/api/v1/auth/token", {"email": body["email"], "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["tenant"] == {"name": "Acme Widgets", "subdomain": body["subdomain"]}
    page = Client(HTTP_HOST=host)
    assert page.post("/login/", {"username": body["email"], "password": PASSWORD}).status_code == 302
    connection.set_schema_to_public()  # the test client's requests leave it on the tenant's schema

    # Its data is its own: not in the template, not in the next spare, not in another tenant.
    with schema_context(tenant.schema_name):
        assert list(User.objects.values_list("email", flat=True)) == [body["email"]]
        Queue.objects.create(name="Only mine")  # sequences and defaults work in the renamed schema
    with connection.cursor() as cursor:
        for schema in (TEMPLATE_SCHEMA, other_spare):
            cursor.execute(f'SELECT count(*) FROM "{schema}".accounts_user')
            assert cursor.fetchone()[0] == 0
            cursor.execute(f'SELECT count(*) FROM "{schema}".routing_queue')
            assert cursor.fetchone()[0] == 0
    second = signup()
    assert second.spare == other_spare
    with schema_context(second.tenant.schema_name):
        assert list(User.objects.values_list("email", flat=True)) == [second.owner.email]
        assert list(Queue.objects.values_list("name", flat=True)) == ["Support"]
    other = Client(HTTP_HOST=f"{second.tenant.subdomain}.localhost")
    refused = other.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert refused.status_code == 401


def test_without_a_spare_signup_clones_the_template() -> None:
    result = signup()
    assert result.spare is None
    assert schema_exists(result.tenant.schema_name)
    assert tables_of(result.tenant.schema_name) == tables_of(TEMPLATE_SCHEMA)
    with schema_context(result.tenant.schema_name):
        assert User.objects.get().email == result.owner.email


def test_signup_that_fails_halfway_gives_the_spare_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    spare = make_spare_schema()
    oid = namespace_oid(spare)

    def explode(*args: Any, **kwargs: Any) -> None:
        assert connection.schema_name.startswith("t_")  # past the rename
        assert namespace_oid(connection.schema_name) == oid
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(User.objects, "create_user", explode)
        body = good_body()
        with pytest.raises(RuntimeError):
            do_signup(check_signup(body))
    nothing_created(body["subdomain"])
    # Back in the pool under its own name, the same schema, still empty.
    assert spares() == [spare]
    assert namespace_oid(spare) == oid
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{spare}".accounts_user')
        assert cursor.fetchone()[0] == 0

    first, second = signup(), signup()
    assert first.spare == spare
    assert namespace_oid(first.tenant.schema_name) == oid
    assert second.spare is None  # used once only: the next sign-up clones
    assert spares() == []


def test_simultaneous_signups_never_share_a_spare() -> None:
    spare = make_spare_schema()
    oid = namespace_oid(spare)
    results: list[SignupResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def attempt() -> None:
        try:
            start.wait()
            results.append(signup())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(str(r.spare) for r in results) == sorted([spare, "None", "None"])
    oids = [namespace_oid(r.tenant.schema_name) for r in results]
    assert oids.count(oid) == 1 and None not in oids
    assert spares() == []


def test_spare_cloned_from_an_older_template_is_never_used() -> None:
    stale = make_spare_schema()
    with connection.cursor() as cursor:
        # What `migrate_schemas --schema=tenant_template` with a new migration would record.
        cursor.execute(
            f'INSERT INTO "{TEMPLATE_SCHEMA}".django_migrations (app, name, applied) VALUES (%s, %s, now())',
            ["zz_test", "0001_newer_template"],
        )
    try:
        assert migrations_fingerprint(TEMPLATE_SCHEMA) != migrations_fingerprint(stale)
        result = signup()
        assert result.spare is None
        assert spares() == [stale]
        # The refill drops the stale spare and clones a current one.
        assert do_refill_spare_schemas(target=1) == 1
        [fresh] = SpareSchema.objects.all()
        assert fresh.schema_name != stale and not schema_exists(stale)
        assert fresh.template_version == migrations_fingerprint(TEMPLATE_SCHEMA)
        assert signup().spare == fresh.schema_name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{TEMPLATE_SCHEMA}".django_migrations WHERE app = %s', ["zz_test"])


def test_spare_whose_schema_vanished_is_skipped_and_cleaned_up() -> None:
    gone, kept = make_spare_schema(), make_spare_schema()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{gone}" CASCADE')
    assert signup().spare == kept
    assert signup().spare is None
    assert do_refill_spare_schemas(target=0) == 0
    assert spares() == []


def test_refill_task_in_a_worker_makes_current_spares(celery_worker: Any) -> None:
    made = enqueue_in_tenant("public", refill_spare_schemas, target=2).get(timeout=90)
    assert made == 2
    pool = list(SpareSchema.objects.all())
    assert len(pool) == 2
    for spare in pool:
        assert spare.schema_name.startswith("spare_") and schema_exists(spare.schema_name)
        assert spare.template_version == migrations_fingerprint(TEMPLATE_SCHEMA)
        assert tables_of(spare.schema_name) == tables_of(TEMPLATE_SCHEMA)
    # Idempotent: a full pool stays as it is.
    assert enqueue_in_tenant("public", refill_spare_schemas, target=2).get(timeout=60) == 0
    assert len(spares()) == 2


def test_signup_queues_a_refill_that_tops_the_pool_up(celery_worker: Any, settings: Any) -> None:
    settings.TENANT_SPARE_SCHEMAS = 2
    first = make_spare_schema()
    result = signup()
    assert result.spare == first
    wait_until(lambda: len(spares()) == 2, timeout=60, what="the worker to refill the pool to 2 spares")
    assert first not in spares()


def test_refill_is_one_at_a_time() -> None:
    params = django_settings.DATABASES["default"]
    other = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or "postgres",
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    )
    from apps.tenants.actions import _REFILL_LOCK

    with other:
        other.execute("SELECT pg_advisory_lock(%s)", [_REFILL_LOCK])
        assert do_refill_spare_schemas(target=1) == 0  # another refill holds the lock: return at once
        other.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])
    assert do_refill_spare_schemas(target=1) == 1


def test_migrate_schemas_replaces_the_spares_with_clones_of_the_migrated_template(settings: Any) -> None:
    tenant = create_tenant("m")
    settings.TENANT_SPARE_SCHEMAS = 2
    old = [make_spare_schema(), make_spare_schema()]
    # A single tenant's migration leaves the template and the spares alone.
    call_command("migrate_schemas", schema_name=tenant.schema_name, interactive=False, verbosity=0)
    assert spares() == old
    # Migrating the template (alone, or in a full run: the same code path) replaces them.
    call_command("migrate_schemas", schema_name=TEMPLATE_SCHEMA, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    new = spares()
    assert len(new) == 2 and not set(new) & set(old)
    assert not any(schema_exists(name) for name in old)
    version = migrations_fingerprint(TEMPLATE_SCHEMA)
    assert all(s.template_version == version for s in SpareSchema.objects.all())
    settings.TENANT_SPARE_SCHEMAS = 0  # no refill queued for a worker to run after this test
    assert signup().spare == new[0]
