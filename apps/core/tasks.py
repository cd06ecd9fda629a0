"""Tenant-aware background work helpers and a diagnostic task.

tenant-schemas-celery stamps each task with `connection.schema_name` of the thread that queues it.
On an event-loop thread that is not the tenant of the request being served, so async code must name
the schema explicitly: use `enqueue_in_tenant`."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from celery import Task, shared_task
from celery.result import AsyncResult
from django.db import connection

from .tenancy import current_schema


def enqueue_in_tenant(
    schema_name: str, task: Task, *args: Any, countdown: float | None = None, **kwargs: Any
) -> AsyncResult:
    """Queue `task` to run inside `schema_name`, whatever schema this thread's connection is on."""
    return task.apply_async(args=args, kwargs=kwargs, countdown=countdown, headers={"_schema_name": schema_name})


async def aenqueue_in_tenant(schema_name: str, task: Task, *args: Any, **kwargs: Any) -> AsyncResult:
    """`enqueue_in_tenant` for async code (publishing to the broker is blocking I/O)."""
    return await sync_to_async(enqueue_in_tenant, thread_sensitive=False)(schema_name, task, *args, **kwargs)


@shared_task(name="core.tenant_diagnostics")
def tenant_diagnostics() -> dict[str, Any]:
    """What a worker sees from inside the tenant it was queued for (used by ops and the tests)."""
    from django.contrib.auth import get_user_model

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (db_schema,) = cursor.fetchone()
    return {
        "schema": current_schema(),
        "current_schema": db_schema,
        "users": sorted(get_user_model().objects.values_list("email", flat=True)),
    }
