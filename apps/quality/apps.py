from datetime import datetime
from typing import Any

from django.apps import AppConfig


def scorecard_figures(agent_ids: list[int], start: datetime, end: datetime) -> dict[str, Any]:
    """reporting's `scorecard_figures` hook: each agent's average QA score in the period."""
    from .selectors import average_scores

    return {"qa_score": average_scores(agent_ids, start, end)}


class QualityConfig(AppConfig):
    name = "apps.quality"
    label = "quality"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("scorecard_figures", scorecard_figures)
