"""Messaging's reads: the channels (secrets never shown, only which are set), a conversation's thread
state for the desktop (channel, window, templates, each agent message's delivery state)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.inbox.models import Interaction

from .actions import window_closes_at
from .models import MessagingChannel, Outbound, Thread
from .providers import ADAPTERS


def channel_json(channel: MessagingChannel, *, webhook: str = "") -> dict[str, Any]:
    adapter = ADAPTERS[channel.provider]
    return {
        "id": channel.pk,
        "provider": channel.provider,
        "provider_name": str(channel.get_provider_display()),
        "name": channel.name,
        "address": channel.address,
        "queue": channel.queue_id,
        "active": channel.active,
        "secrets_set": sorted(k for k in channel.secrets if channel.secrets.get(k)),
        "secrets_needed": [f.name for f in adapter.secret_fields],
        "verify_token": channel.verify_token if channel.provider in ("whatsapp", "messenger") else "",
        "templates": channel.templates,
        "webhook_url": webhook,
        "created_at": channel.created_at.isoformat(),
    }


def channels() -> list[MessagingChannel]:
    return list(MessagingChannel.objects.select_related("queue").order_by("provider", "name"))


def conversation_state(interaction: Interaction) -> dict[str, Any] | None:
    """The desktop's view of a messaging conversation; None when it has no thread."""
    thread = Thread.objects.select_related("channel").filter(interaction=interaction).first()
    if thread is None:
        return None
    closes = window_closes_at(thread)
    statuses = {
        seq: {"status": status, "error": error}
        for seq, status, error in Outbound.objects.filter(message__interaction=interaction).values_list(
            "message__seq", "status", "error"
        )
    }
    return {
        "provider": thread.channel.provider,
        "provider_name": str(thread.channel.get_provider_display()),
        "channel": thread.channel.name,
        "address": thread.address,
        "window_closes_at": closes.isoformat() if closes else None,
        "window_open": closes is None or closes > timezone.now(),
        "templates": [{"name": t["name"], "text": t.get("text", "")} for t in thread.channel.templates]
        if thread.channel.provider == "whatsapp"
        else [],
        "statuses": statuses,
    }
