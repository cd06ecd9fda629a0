from datetime import datetime
from typing import Any

from django.apps import AppConfig


def scorecard_figures(agent_ids: list[int], start: datetime, end: datetime) -> dict[str, Any]:
    """reporting's `scorecard_figures` hook: each agent's adherence and conformance (%) in the period."""
    from .schedule_selectors import scorecard_figures as figures

    return figures(agent_ids, start, end)


class WfmConfig(AppConfig):
    name = "apps.wfm"
    label = "wfm"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("scorecard_figures", scorecard_figures)
