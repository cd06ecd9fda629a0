"""Background work of quality: sampling interactions for evaluation, every 5 minutes, in every tenant."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import schema_context

from apps.tenants.selectors import customer_schemas

logger = logging.getLogger(__name__)


@shared_task(name="quality.sample")
def sample() -> dict[str, int]:
    """Beat: each tenant's sampling rules look at what happened since they last looked (a tenant that
    fails is logged; the others go on)."""
    from .sampling import do_sample

    added: dict[str, int] = {}
    for schema in customer_schemas():
        try:
            with schema_context(schema):
                count = do_sample()
        except Exception:
            logger.exception("Sampling failed in %s", schema)
            continue
        if count:
            added[schema] = count
    return added
