"""The provider adapters, by provider name."""

from __future__ import annotations

from .base import Adapter, Event, Media, Permanent, Refused, Transient
from .meta import Messenger, WhatsApp
from .telegram import Telegram
from .twilio import Twilio
from .wechat import WeChat

ADAPTERS: dict[str, Adapter] = {a.provider: a for a in (Twilio(), WhatsApp(), Messenger(), WeChat(), Telegram())}

__all__ = ["ADAPTERS", "Adapter", "Event", "Media", "Permanent", "Refused", "Transient"]
