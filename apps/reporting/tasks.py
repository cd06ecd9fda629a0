"""Background work of reporting: the roll-up, every 15 s, in every tenant."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import schema_context, schema_exists

from apps.tenants.selectors import customer_schemas

from .actions import do_roll_up

logger = logging.getLogger(__name__)


@shared_task(name="reporting.roll_up")
def roll_up() -> dict[str, int]:
    """Beat: each tenant's intervals that changed since its last roll-up (a tenant that fails is
    logged and tried again next time; the others go on)."""
    written: dict[str, int] = {}
    for schema in customer_schemas():
        try:
            with schema_context(schema):
                count = do_roll_up()
        except Exception:
            logger.exception("Roll-up failed in %s", schema)
            continue
        if count:
            written[schema] = count
    return written


@shared_task(name="reporting.publish_wallboard", ignore_result=True)
def publish_wallboard(schema: str) -> None:
    """Compute the wallboard of one tenant and send it to its open wallboards."""
    from .actions import do_publish_wallboard

    if not schema_exists(schema):
        return
    with schema_context(schema):
        do_publish_wallboard(schema)


@shared_task(name="reporting.send_dashboards")
def send_dashboards() -> dict[str, int]:
    """Beat, every minute: each tenant's dashboards whose mail is due (a tenant that fails is logged;
    the others go on)."""
    from apps.tenants.selectors import customer_tenants, tenant_url

    from .dashboards import do_send_due_dashboards

    sent: dict[str, int] = {}
    for tenant in customer_tenants():
        if not schema_exists(tenant.schema_name):
            continue
        try:
            with schema_context(tenant.schema_name):
                count = do_send_due_dashboards(tenant_url(tenant, "").rstrip("/"))
        except Exception:
            logger.exception("Dashboard mail failed in %s", tenant.schema_name)
            continue
        if count:
            sent[tenant.schema_name] = count
    return sent
