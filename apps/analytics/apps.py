from django.apps import AppConfig


def interaction_closed(interaction_id: int) -> None:
    """inbox's `interaction_closed` hook (after commit): analyse it in the background."""
    from .tasks import request_analysis

    request_analysis(interaction_id)


def recording_stored(call_id: str, recording_id: int) -> None:
    """media's `recording_stored` hook: a call's recording arrived (perhaps after it was closed)."""
    from .tasks import request_analysis_of_call

    request_analysis_of_call(call_id)


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("interaction_closed", interaction_closed)
        register_hook("recording_stored", recording_stored)
