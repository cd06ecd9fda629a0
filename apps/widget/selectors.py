from __future__ import annotations

from apps.inbox.models import Interaction

from .models import WidgetKey


def widget_key(public_key: object) -> WidgetKey | None:
    if not isinstance(public_key, str) or len(public_key) > 64:
        return None
    return WidgetKey.objects.select_related("queue").filter(public_key=public_key, enabled=True).first()


def open_chat_of(contact_id: int) -> Interaction | None:
    """The visitor's conversation still going on, if any (resumed after a reload)."""
    return (
        Interaction.objects.filter(contact_id=contact_id, channel="chat")
        .exclude(status=Interaction.Status.RESOLVED)
        .order_by("-created_at")
        .first()
    )
