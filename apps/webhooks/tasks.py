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


@shared_task(name="webhooks.sweep")
def sweep() -> dict[str, dict[str, int]]:
    """Beat, every WEBHOOK_SWEEP_SECONDS, platform-wide, in each tenant: deliveries left waiting (their
    task never queued because the broker was down, or their retry timer lost) are queued again, and
    deliveries older than WEBHOOK_LOG_DAYS leave the log with their attempts."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import customer_schemas

    from .models import Delivery

    now = timezone.now()
    late = now - timedelta(seconds=float(settings.WEBHOOK_SWEEP_SECONDS))
    forgotten = Q(status=Delivery.Status.PENDING, created_at__lt=late) | Q(
        status=Delivery.Status.RETRYING, next_attempt_at__lt=late
    )
    before = now - timedelta(days=float(settings.WEBHOOK_LOG_DAYS))
    done: dict[str, dict[str, int]] = {}
    for schema in customer_schemas():
        with schema_context(schema):
            stuck = list(Delivery.objects.filter(forgotten).values_list("pk", flat=True)[:1000])
            for pk in stuck:
                deliver.delay(pk)
            purged, _by_model = Delivery.objects.filter(created_at__lt=before).delete()
        if stuck or purged:
            done[schema] = {"requeued": len(stuck), "purged": purged}
    return done
