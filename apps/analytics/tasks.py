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


def request_analysis(interaction_id: int) -> None:
    """Queue the interaction's analysis (call after the caller's commit). Never raises: a broker that is
    down loses that analysis (logged), never the close or the recording that asked for it."""
    from apps.core.tasks import enqueue_in_tenant

    from .runs import want

    try:
        want(current_schema(), interaction_id)
        enqueue_in_tenant(current_schema(), analyse_interaction, interaction_id)
    except Exception:
        logger.exception("Could not queue the analysis of interaction %s", interaction_id)


def request_analysis_of_call(call_id: str) -> None:
    from apps.media.models import Call

    interaction_id = Call.objects.filter(call_id=call_id).values_list("interaction_id", flat=True).first()
    if interaction_id is not None:
        request_analysis(interaction_id)


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
