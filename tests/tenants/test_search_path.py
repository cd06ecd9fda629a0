"""One `SET search_path` per tenant switch (TENANT_LIMIT_SET_CALLS), never a query in the wrong schema:
after a switch, after a transaction that rolled back the SET, after a rollback to a savepoint that
undid it, and after the connection was closed, each tenant's query reads its own table."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.routing.models import Queue
from tests.conftest import TenantInfo


def queue_names() -> list[str]:
    return sorted(Queue.objects.values_list("name", flat=True))


def test_the_path_follows_the_tenant(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    Queue.objects.create(name="Only in A")
    connection.set_schema(tenant_b.schema_name)
    Queue.objects.create(name="Only in B")

    # One SET for many queries in one tenant.
    connection.set_schema(tenant_a.schema_name)
    with CaptureQueriesContext(connection) as seen:
        for _ in range(5):
            assert "Only in A" in queue_names()
    assert sum(q["sql"].startswith("SET search_path") for q in seen.captured_queries) == 1

    # A switch sets it again.
    connection.set_schema(tenant_b.schema_name)
    assert "Only in B" in queue_names() and "Only in A" not in queue_names()

    # The SET issued inside a transaction that rolls back is undone by PostgreSQL: the next query must
    # not run in the schema before it.
    connection.set_schema(tenant_a.schema_name)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert "Only in A" in queue_names()
        raise RuntimeError
    assert "Only in A" in queue_names() and "Only in B" not in queue_names()

    # The same for a rollback to a savepoint: switched inside it, back out after it.
    connection.set_schema(tenant_b.schema_name)
    assert "Only in B" in queue_names()
    with transaction.atomic():
        connection.set_schema(tenant_a.schema_name)
        with pytest.raises(RuntimeError), transaction.atomic():
            assert "Only in A" in queue_names()
            raise RuntimeError
        assert "Only in A" in queue_names() and "Only in B" not in queue_names()

    # A new connection starts with no path of ours.
    connection.close()
    assert "Only in A" in queue_names()
    connection.set_schema_to_public()
