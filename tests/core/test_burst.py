"""A burst of API requests from one tenant: the web process's database connections stay bounded, and
the other tenants and /healthz are served throughout (issue 11, "Load and noisy neighbours").

Before apps/core/asgi.py every request in flight ran on a new thread with a database connection of
its own that outlived it: 500 requests with 20 in flight exhausted PostgreSQL for every tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from apps.accounts.actions import do_issue_api_token
from tests.conftest import TenantInfo
from tests.load import ConnectionCounter, Poller, burst, request, start_web, statuses
from tests.processes import wait_until

HTTP_THREADS = 4


@pytest.fixture
def bounded_web(celery_worker: Any, media_worker: Any) -> Iterator[tuple[int, str]]:
    """A daphne of its own whose database connections are told apart by their application_name."""
    app_name = f"ccaas-burst-{uuid.uuid4().hex[:8]}"
    proc, port = start_web(
        "daphne-burst",
        {
            "PGAPPNAME": app_name,
            "HTTP_THREADS": str(HTTP_THREADS),
            # This test is about connections: the per-tenant limits have tests of their own.
            "API_RATE_LIMIT_TENANT": "0",
            "API_RATE_LIMIT_USER": "0",
        },
    )
    yield port, app_name
    proc.stop()


def token_for(info: TenantInfo) -> str:
    with schema_context(info.schema_name):
        return do_issue_api_token(info.owner)


def test_a_burst_from_one_tenant_keeps_connections_bounded_and_others_served(
    bounded_web: tuple[int, str], tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    port, app_name = bounded_web
    token_a, token_b = token_for(tenant_a), token_for(tenant_b)
    assert request(port, tenant_b.host, "/api/v1/queues", token_b).status == 200
    assert request(port, "localhost", "/healthz").status == 200

    counter = ConnectionCounter(app_name)
    other = Poller(lambda: request(port, tenant_b.host, "/api/v1/queues", token_b))
    health = Poller(lambda: request(port, "localhost", "/healthz"), pause=0.2)
    with counter, other, health:
        flood = burst(lambda: request(port, tenant_a.host, "/api/v1/queues", token_a), total=500, in_flight=20)

    assert statuses(flood) == {"200": 500}
    # The other tenant was served all along, and the platform stayed healthy.
    assert len(other.outcomes) >= 5 and statuses(other.outcomes) == {"200": len(other.outcomes)}
    assert len(health.outcomes) >= 3 and statuses(health.outcomes) == {"200": len(health.outcomes)}
    # One connection per HTTP thread at most, whatever the number of requests in flight.
    assert 1 <= counter.peak <= HTTP_THREADS, counter.samples

    # Nothing to recover from: the next requests are served at once, on the same connections.
    wait_until(lambda: request(port, tenant_b.host, "/api/v1/queues", token_b).status == 200, 5, "tenant B")
    assert request(port, "localhost", "/healthz").status == 200
    assert counter.count() <= HTTP_THREADS
