from typing import Any

from django.apps import AppConfig


def tracker_config() -> dict[str, Any]:
    """widget's `widget_tracker_config` hook: the query parameters page addresses keep."""
    from .models import JourneySettings

    return {"params": list(JourneySettings.current().allowed_query_params)}


class JourneyConfig(AppConfig):
    name = "apps.journey"
    label = "journey"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from . import events  # noqa: F401  (declares the app's realtime events)

        register_hook("widget_tracker_config", tracker_config)
