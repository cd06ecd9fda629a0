"""Messaging's rows: the channels a tenant connects (an SMS number, a WhatsApp number, a Facebook page,
a WeChat official account, a Telegram bot), every delivery a provider made to us (kept until it is in
the inbox, once per provider message id), the conversation with each customer address, and every
message we send with its delivery state."""

from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.sealing import unseal


def _token() -> str:
    return secrets.token_urlsafe(24)


class Provider(models.TextChoices):
    TWILIO = "twilio", _("SMS (Twilio)")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Facebook Messenger")
    WECHAT = "wechat", _("WeChat")
    TELEGRAM = "telegram", _("Telegram")


class MessagingChannel(models.Model):
    """One connected channel. Providers call `/hooks/messaging/<key>/` on the tenant's domain; its
    credentials (`secrets`) are never shown back (the settings page and API say only which are set)."""

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=100)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    queue = models.ForeignKey("routing.Queue", on_delete=models.PROTECT, related_name="+")
    # The provider's id of this channel: the sending number (E.164), WhatsApp's phone number id, the
    # page id, the WeChat app id, the bot's user name.
    address = models.CharField(_("address"), max_length=100)
    # Secrets by name (auth_token, app_secret, access_token, token, bot_token, secret_token, ...), each
    # sealed (apps.core.sealing, purpose "messaging").
    secrets = models.JSONField(default=dict, blank=True)
    # What the handshake of Meta's webhooks must echo (not a secret of the provider's: ours).
    verify_token = models.CharField(max_length=64, default=_token)
    # WhatsApp message templates approved for this number: [{"name", "language", "text"}].
    templates = models.JSONField(default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_provider_display()}: {self.name}"

    def secret(self, name: str) -> str:
        """One credential, decrypted ("" when it is not set or cannot be read); kept on the instance
        (the webhook's cached channel decrypts each once)."""
        plain: dict[str, str] = self.__dict__.setdefault("_plain_secrets", {})
        if name not in plain:
            plain[name] = unseal(str(self.secrets.get(name) or ""), "messaging")
        return plain[name]


class Inbound(models.Model):
    """A message or status a provider delivered, stored (whole, as received) before we answer it, once
    per (channel, provider id): a provider's retry finds it there and nothing doubles. The messaging
    queue turns pending rows into inbox messages, in order."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        STATUS = "status", _("Delivery status")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("In the inbox")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(MessagingChannel, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MESSAGE)
    provider_id = models.CharField(max_length=200)
    payload = models.JSONField()  # the provider-neutral event (see providers.base.Event.as_json)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["channel", "kind", "provider_id"], name="messaging_inbound_once"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["id"], name="messaging_inbound_pending", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_id}"


class Thread(models.Model):
    """The conversation of one customer address on one channel: its current interaction (a new one
    opens when the last was resolved) and when the customer last wrote (WhatsApp's 24-hour window)."""

    channel = models.ForeignKey(MessagingChannel, on_delete=models.CASCADE, related_name="threads")
    address = models.CharField(max_length=200)  # the customer: phone (E.164), WhatsApp id, PSID, openid, chat id
    interaction = models.ForeignKey("inbox.Interaction", null=True, on_delete=models.SET_NULL, related_name="+")
    last_inbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["channel", "address"], name="messaging_thread_once"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.address}"


class Outbound(models.Model):
    """A message we send to the customer (an agent's reply or a template), with its delivery state as
    the provider reports it; the agent sees a failure on the message."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Not delivered")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="outbound")
    message = models.OneToOneField(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound"
    )
    template = models.CharField(max_length=100, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["provider_id"], name="messaging_outbound_pid"),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.provider_id}"
