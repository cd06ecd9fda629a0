"""Background work of journey: nightly purge of web events past each tenant's retention."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context

from apps.tenants.selectors import customer_schemas

from .actions import do_purge_web_events


@shared_task(name="journey.purge_web_events")
def purge_web_events() -> dict[str, int]:
    """Beat, every six hours, platform-wide: each tenant's web events older than it keeps."""
    purged: dict[str, int] = {}
    for schema in customer_schemas():
        with schema_context(schema):
            count = do_purge_web_events()
        if count:
            purged[schema] = count
    return purged
