"""Routing timers. The timers themselves wait in Redis (timers.py); beat runs `fire_due_timers`
every second. Each handler is idempotent: it re-checks state under lock and does nothing when the
moment has passed.

The per-object tasks below are what timers used to be (one Celery message with a countdown each);
they stay registered so that messages queued before the switch still run after a deploy."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="routing.fire_due_timers", ignore_result=True)
def fire_due_timers() -> int:
    from .timers import fire_due

    return fire_due()


@shared_task(name="routing.expire_offer")
def expire_offer(offer_id: int) -> bool:
    from .actions import do_expire_offer

    return do_expire_offer(offer_id)


@shared_task(name="routing.reconsider_interaction")
def reconsider_interaction(interaction_id: int) -> None:
    from .actions import do_reconsider_interaction

    do_reconsider_interaction(interaction_id)


@shared_task(name="routing.interaction_max_wait")
def interaction_max_wait(interaction_id: int) -> None:
    from .actions import do_handle_max_wait

    do_handle_max_wait(interaction_id)


@shared_task(name="routing.end_wrap_up")
def end_wrap_up(agent_id: int) -> None:
    from apps.agents.actions import do_end_wrap_up

    do_end_wrap_up(agent_id)
