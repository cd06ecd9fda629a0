"""Routing timers. Each is idempotent: it re-checks state under lock and does nothing when the
moment has passed."""

from __future__ import annotations

from celery import shared_task


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
