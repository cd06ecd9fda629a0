"""Test fixtures. Real PostgreSQL and Redis (the launcher hands their URLs in), real processes.

The test database is recreated and migrated once per run. Data is committed, as in production, so
that daphne, Celery and the media worker (separate processes) see it; each test makes tenants with
fresh random subdomains, so tests never see each other's data."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.processes import Proc, free_port, port_open, python, wait_until

PASSWORD = "correct-horse-battery-9"


def _recreate_database() -> None:
    import psycopg
    from django.conf import settings
    from django.db import connections

    params = settings.DATABASES["default"]
    for conn in connections.all():
        conn.close()
    admin = psycopg.connect(
        dbname="postgres",
        user=params["USER"] or "postgres",
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{params["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{params["NAME"]}"')


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> None:
    from django.core.management import call_command

    from apps.core.redis import get_redis

    assert "test" in os.environ.get("DATABASE_URL", ""), "Run the tests through `make test` (test database)."
    with django_db_blocker.unblock():
        _recreate_database()
        call_command("migrate_schemas", interactive=False, verbosity=0)
    get_redis().flushdb()


@pytest.fixture(autouse=True)
def _db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    from django.db import connection
    from django.utils import translation

    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
        # A request made with the test client in a profile language leaves it active on this thread.
        translation.deactivate()


@pytest.fixture(autouse=True)
def _drop_tenants_made_by_the_test(_db: None) -> Iterator[None]:
    """Tenants a test (or its function-scoped fixtures) signed up are dropped after it, schema and all.

    Cloning the template schema reads PostgreSQL's catalog, whose size grows with every schema: with
    the suite's ~500 tenants kept, a sign-up took 0.3 s at the start and several seconds at the end,
    and the suite three times as long. Tenants of session and module fixtures were made before this
    runs and stay. CCAAS_TEST_KEEP_TENANTS=1 keeps everything (to look at a failed test's data)."""
    from django.db import connection

    from apps.tenants.models import Tenant

    if os.environ.get("CCAAS_TEST_KEEP_TENANTS"):
        yield
        return
    connection.set_schema_to_public()
    before = set(Tenant.objects.values_list("pk", flat=True))
    yield
    try:
        connection.set_schema_to_public()
        made = list(Tenant.objects.exclude(pk__in=before).exclude(schema_name="public"))
    except Exception as exc:  # the test's own failure says what went wrong
        print(f"Could not list the test's tenants: {exc}")
        return
    for tenant in made:
        try:
            with connection.cursor() as cursor:
                # A process of the test still holding a lock (a Celery task finishing): leave that one.
                cursor.execute("SET lock_timeout = '5s'")
            tenant.delete(force_drop=True)
        except Exception as exc:  # a schema left behind costs time, not correctness
            print(f"Could not drop the test's tenant {tenant.schema_name}: {exc}")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


@dataclass
class TenantInfo:
    tenant: Any
    owner: Any
    subdomain: str
    schema_name: str
    email: str
    password: str = PASSWORD

    @property
    def host(self) -> str:
        return f"{self.subdomain}.localhost"


def unique_subdomain(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def create_tenant(prefix: str = "t", company: str | None = None) -> TenantInfo:
    from apps.tenants.actions import create_tenant_with_owner

    subdomain = unique_subdomain(prefix)
    email = f"owner@{subdomain}.test"
    result = create_tenant_with_owner(
        company_name=company or f"Company {subdomain}",
        subdomain=subdomain,
        email=email,
        password=PASSWORD,
        full_name="Owner",
    )
    return TenantInfo(
        tenant=result.tenant,
        owner=result.owner,
        subdomain=subdomain,
        schema_name=result.tenant.schema_name,
        email=email,
    )


@pytest.fixture
def tenant_factory() -> Any:
    return create_tenant


@pytest.fixture
def tenant_a() -> TenantInfo:
    return create_tenant("a", "Alpha Ltd")


@pytest.fixture
def tenant_b() -> TenantInfo:
    return create_tenant("b", "Beta Inc")


# --- real processes ---------------------------------------------------------------------------


@dataclass
class WebServer:
    port: int
    proc: Proc

    def url(self, path: str = "/", subdomain: str | None = None) -> str:
        host = f"{subdomain}.localhost" if subdomain else "localhost"
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def web_server(django_db_setup: None) -> Iterator[WebServer]:
    port = free_port()
    proc = Proc(
        "daphne",
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env={"PUBLIC_PORT": str(port)},
        ready=lambda: port_open(port),
    ).start()
    yield WebServer(port=port, proc=proc)
    proc.stop()


def signed_in_page(browser: Any, web: WebServer, tenant: TenantInfo, email: str = "", locale: str = "en-US") -> Any:
    """A new browser context signed in to the tenant as `email` (the owner by default), on the start page."""
    page = browser.new_context(locale=locale).new_page()
    page.set_default_timeout(15000)
    page.goto(web.url("/login/", subdomain=tenant.subdomain))
    page.fill("input[name=username]", email or tenant.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")
    return page


def _celery_ping(node: str | None = None) -> bool:
    """A worker answers (`node`: that one; another queue's worker answering says nothing of it)."""
    from ccaas.celery import app

    return bool(app.control.ping(destination=[node] if node else None, timeout=0.5))


class CeleryWorker:
    def __init__(self, queues: str = "celery", env: dict[str, str] | None = None) -> None:
        import socket

        node = f"test-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        self.proc = Proc(
            f"celery-{queues}",
            python(
                "-m",
                "celery",
                "-A",
                "ccaas",
                "worker",
                "-Q",
                queues,
                "-P",
                "solo",
                "-c",
                "1",
                "--without-mingle",
                "--without-gossip",
                "-n",
                node,
                "--loglevel=info",
            ),
            ready=lambda: _celery_ping(node),
            ready_timeout=45,
            env=env,
        )

    def start(self) -> None:
        self.proc.start()

    def stop(self) -> None:
        self.proc.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None) -> Iterator[CeleryWorker]:
    worker = CeleryWorker()
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def reports_worker(django_db_setup: None) -> Iterator[CeleryWorker]:
    """The worker of reporting's own queue (the Procfile's `reports`)."""
    worker = CeleryWorker("reports")
    worker.start()
    yield worker
    worker.stop()


def _media_alive() -> bool:
    from apps.core.health import check_media

    return bool(check_media()["ok"])


class MediaWorkerProc:
    def __init__(self) -> None:
        self.proc = Proc("media", python("manage.py", "media_worker"), ready=_media_alive, ready_timeout=30)

    def start(self) -> None:
        self.proc.start()

    def stop(self) -> None:
        from apps.core.redis import get_redis

        self.proc.stop()
        # A stopped worker removes its heartbeat on a clean exit; make sure of it for the tests.
        for key in get_redis().scan_iter(match="public:media:worker:*"):
            get_redis().delete(key)


@pytest.fixture(scope="session")
def media_worker(django_db_setup: None) -> Iterator[MediaWorkerProc]:
    worker = MediaWorkerProc()
    worker.start()
    yield worker
    worker.stop()


# --- the browser ---------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs Debian's chromium; install it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _close_the_tests_browser_contexts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Pages a test opened and left open are closed after it: a desktop or a call left running keeps
    its renderer busy (sockets, timers, fake camera and microphone) through every later test. Contexts
    of module and session fixtures were opened before this runs and stay."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    before = set(browser.contexts)
    yield
    for context in browser.contexts:
        if context not in before:
            try:
                context.close()
            except Exception as exc:  # a context the test closed meanwhile, or a browser gone
                print(f"Could not close a browser context of the test: {exc}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


__all__ = ["PASSWORD", "TenantInfo", "WebServer", "create_tenant", "unique_subdomain", "wait_until"]
