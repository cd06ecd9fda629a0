"""Webhooks' background work, on its own queue ("webhooks", taken by the Procfile's worker): a slow
receiver (up to WEBHOOK_TIMEOUT a request) never delays routing's timers or email. A retry waits in
core's timers (a Redis sorted set, fired by beat), not in a Celery countdown: retries hours away would
outlive the broker's visibility timeout and be sent twice."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError

from .sending import do_attempt

TRANSIENT = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)


@shared_task(name="webhooks.deliver", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=5, max_retries=10)
def deliver(delivery_id: int, manual: bool = False) -> str:
    return do_attempt(delivery_id, manual=manual)


def retry_due(delivery_id: int) -> None:
    """core's timer `webhook_retry` (inside the tenant): the delivery's next attempt is due."""
    deliver.delay(delivery_id)


@shared_task(name="webhooks.purge_log")
def purge_log() -> dict[str, int]:
    """Beat, daily, platform-wide: each tenant's deliveries older than WEBHOOK_LOG_DAYS (with their
    attempts) are removed, so the log does not grow without end."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import customer_schemas

    from .models import Delivery

    before = timezone.now() - timedelta(days=float(settings.WEBHOOK_LOG_DAYS))
    purged: dict[str, int] = {}
    for schema in customer_schemas():
        with schema_context(schema):
            count, _by_model = Delivery.objects.filter(created_at__lt=before).delete()
        if count:
            purged[schema] = count
    return purged
