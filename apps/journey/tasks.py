"""Background work of journey: nightly purge of web events past each tenant's retention."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context, schema_exists

from .actions import do_purge_web_events


@shared_task(name="journey.purge_web_events")
def purge_web_events() -> dict[str, int]:
    """Beat, every six hours, platform-wide: each tenant's web events older than it keeps."""
    purged: dict[str, int] = {}
    schemas = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .exclude(is_template=True)
        .values_list("schema_name", flat=True)
    )
    for schema in schemas:
        if not schema_exists(schema):
            continue
        with schema_context(schema):
            count = do_purge_web_events()
        if count:
            purged[schema] = count
    return purged
