"""Background work of analytics: an interaction's analysis, queued after it closes (inbox's
`interaction_closed` hook) and when its call's recording is stored (media's `recording_stored`), on
its own queue ("analytics": the Procfile's `analytics` worker) so that long calls never hold up
routing's timers. Idempotent (a run replaces the previous analysis), one at a time per interaction
(`runs`), retried on a passing database or Redis failure."""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.core.tenancy import current_schema

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)


@shared_task(
    name="analytics.analyse_interaction",
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def analyse_interaction(interaction_id: int) -> dict[str, object]:
    from apps.inbox.models import Interaction

    from .actions import do_store_analysis
    from .analysis import analyse
    from .runs import run_once_at_a_time

    costs: list[dict[str, object]] = []

    def work() -> None:
        interaction = Interaction.objects.filter(pk=interaction_id).first()
        if interaction is None:
            return  # deleted meanwhile: nothing to analyse
        stored = do_store_analysis(interaction, analyse(interaction))
        costs.append(stored.cost)
        logger.info("Analysed interaction %s in %s: %s", interaction_id, current_schema(), stored.cost)

    runs = run_once_at_a_time(current_schema(), interaction_id, work)
    return {"interaction": interaction_id, "runs": runs, "cost": costs[-1] if costs else None}
