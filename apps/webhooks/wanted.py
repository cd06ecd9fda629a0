"""Which events a tenant's active subscriptions want, remembered a few seconds per process: most events
(every chat message) find none and cost no query."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from .models import Subscription

_wanted: dict[str, tuple[float, frozenset[str]]] = {}


def forget_wanted() -> None:
    _wanted.pop(connection.schema_name, None)  # type: ignore[attr-defined]


def wanted_events() -> frozenset[str]:
    """The events at least one active subscription of this tenant wants (WEBHOOK_SUBSCRIPTION_CACHE_SECONDS
    old at most: a subscription made in another process applies within that)."""
    schema = connection.schema_name  # type: ignore[attr-defined]
    now = time.monotonic()
    hit = _wanted.get(schema)
    if hit is not None and hit[0] > now:
        return hit[1]
    names: set[str] = set()
    for events in Subscription.objects.filter(is_active=True).values_list("events", flat=True):
        names.update(events)
    found = frozenset(names)
    ttl = float(settings.WEBHOOK_SUBSCRIPTION_CACHE_SECONDS)
    if ttl > 0:
        _wanted[schema] = (now + ttl, found)
    return found
