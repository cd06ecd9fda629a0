from __future__ import annotations

from celery import shared_task

from .actions import do_enforce_dunning


@shared_task(name="billing.enforce_dunning")
def enforce_dunning() -> dict[str, int]:
    """Celery beat, every 15 minutes: suspend what the grace period no longer covers. Idempotent."""
    return do_enforce_dunning()
