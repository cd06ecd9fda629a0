from typing import Any

from django.apps import AppConfig


def tracker_config() -> dict[str, Any]:
    """widget's `widget_tracker_config` hook: the query parameters page addresses keep, and whether
    the loader should load the engagement script (any rule is on)."""
    from django.templatetags.static import static

    from .models import EngagementRule, JourneySettings

    engage = EngagementRule.objects.filter(enabled=True).exists()
    return {
        "params": list(JourneySettings.current().allowed_query_params),
        "engage": static("widget/engage.js") if engage else None,
    }


def invitation_accepted(token: str, visitor_id: str) -> dict[str, Any] | None:
    from .engagement import accept_invitation

    return accept_invitation(token, visitor_id)


def conversation_opened(invitation_id: int, interaction: Any) -> None:
    from .engagement import link_invitation

    link_invitation(invitation_id, interaction)


class JourneyConfig(AppConfig):
    name = "apps.journey"
    label = "journey"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from . import events  # noqa: F401  (declares the app's realtime events)

        register_hook("widget_tracker_config", tracker_config)
        register_hook("widget_invitation_accepted", invitation_accepted)
        register_hook("widget_conversation_opened", conversation_opened)
