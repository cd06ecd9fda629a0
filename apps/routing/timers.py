"""Routing's timers: offer timeouts, step widening, maximum wait. The machinery (one Redis sorted set,
fired by beat every second) is `apps.core.timers`; routing registers its handlers in
`RoutingConfig.ready`."""

from __future__ import annotations

from apps.core.timers import (
    KEY,
    RETRY_SECONDS,
    SWEEP_BATCH,
    TIMER_SWEEP_SECONDS,
    clear_timer_on_commit,
    due_at,
    fire_due,
    member,
    set_timer,
    set_timer_on_commit,
)

OFFER = "offer"  # an offer rings too long: time it out (do_expire_offer)
RECONSIDER = "reconsider"  # an interaction's eligibility widens: route it again
MAX_WAIT = "max_wait"  # an interaction waited as long as its queue allows: overflow
DECLINED = "declined"  # the cool-down after a decline ends: offer it again to those who declined


__all__ = [
    "DECLINED",
    "KEY",
    "MAX_WAIT",
    "OFFER",
    "RECONSIDER",
    "RETRY_SECONDS",
    "SWEEP_BATCH",
    "TIMER_SWEEP_SECONDS",
    "clear_timer_on_commit",
    "due_at",
    "fire_due",
    "member",
    "set_timer",
    "set_timer_on_commit",
]
