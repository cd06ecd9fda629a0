"""Background work of the tenants app. Tasks run in the public schema (queued there explicitly, or
from beat, which tenant-schemas-celery runs in public)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tenants.refill_spare_schemas")
def refill_spare_schemas(target: int | None = None) -> int:
    """Keep the pool of spare tenant schemas full (beat, every minute; and after every sign-up, which
    passes its own TENANT_SPARE_SCHEMAS as `target`). Idempotent: a refill already running makes this
    one return at once. Returns how many spares it cloned."""
    from .actions import do_refill_spare_schemas

    return do_refill_spare_schemas(target)
