"""Sending an agent's message to the customer through the thread's provider (the send task's work)."""

from __future__ import annotations

from django.core import signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.tenancy import current_schema
from apps.inbox.models import Attachment, Message
from apps.tenants.selectors import tenant_url

from .actions import do_fail_outbound, do_mark_sent, window_closes_at
from .models import MessagingChannel, Outbound, Provider, Thread
from .providers import ADAPTERS, Permanent, Transient
from .providers.base import MAX_MEDIA_BYTES, OutFile

__all__ = ["FILE_LINK_SECONDS", "FILE_SALT", "Transient", "give_up", "send_message"]

# A file sent to a provider that fetches it itself (Twilio) is at a signed address for this long.
FILE_LINK_SECONDS = 3600
FILE_SALT = "messaging.file"


def file_url(attachment: Attachment) -> str:
    """The attachment at an address only the provider is given, on the tenant's host, for an hour."""
    token = signing.dumps({"s": current_schema(), "a": attachment.pk}, salt=FILE_SALT, compress=True)
    return tenant_url(connection.tenant, reverse("messaging-file", args=[token]))  # type: ignore[attr-defined]


def out_file(attachment: Attachment) -> OutFile:
    if attachment.size > MAX_MEDIA_BYTES:
        raise Permanent(
            _("The file is larger than %(mb)s MB, more than the channel takes.") % {"mb": MAX_MEDIA_BYTES // 2**20}
        )
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise Permanent(_("The file is no longer stored.")) from None
    return OutFile(
        name=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
        data=data,
        url=file_url(attachment),
    )


def webhook_url(channel: MessagingChannel) -> str:
    """Where the provider calls us for this channel: the tenant's own host."""
    return tenant_url(connection.tenant, reverse("messaging-webhook", args=[channel.key]))  # type: ignore[attr-defined]


def send_message(message_id: int, *, attempt: int = 1) -> str:
    message = Message.objects.select_related("interaction", "attachment").filter(pk=message_id).first()
    if message is None or message.kind != Message.Kind.AGENT or message.interaction.channel != "messaging":
        return "not a reply"
    outbound = Outbound.objects.select_related("thread__channel", "message").filter(message=message).first()
    if outbound is None:
        thread = Thread.objects.filter(interaction=message.interaction).first()
        if thread is None:
            return "no thread"
        outbound = Outbound.objects.create(thread=thread, message=message)
        outbound = Outbound.objects.select_related("thread__channel", "message").get(pk=outbound.pk)
    if outbound.status != Outbound.Status.QUEUED:
        return outbound.status
    thread, channel = outbound.thread, outbound.thread.channel
    if not channel.active:
        do_fail_outbound(outbound, _("The channel %(name)s is switched off.") % {"name": channel.name})
        return "failed"
    template = (
        next((t for t in channel.templates if t["name"] == outbound.template), None) if outbound.template else None
    )
    closes = window_closes_at(thread)
    if template is None and closes is not None and closes < timezone.now():
        if channel.provider == Provider.WHATSAPP:
            why = _("More than 24 hours since the customer's last message: only an approved template can be sent.")
        else:
            why = _("More than 48 hours since the customer's last message: WeChat does not deliver it.")
        do_fail_outbound(outbound, why)
        return "failed"
    text = message.body
    if not text.strip() and message.attachment is None:
        do_fail_outbound(outbound, _("An empty message is not sent."))
        return "failed"
    Outbound.objects.filter(pk=outbound.pk).update(attempts=attempt)
    outbound.attempts = attempt
    callback = webhook_url(channel) if channel.provider == Provider.TWILIO else ""
    try:
        file = out_file(message.attachment) if message.attachment is not None and template is None else None
        provider_id = ADAPTERS[channel.provider].send(
            channel, thread.address, text, template=template, callback=callback, file=file
        )
    except Permanent as exc:
        do_fail_outbound(outbound, str(exc))
        return "failed"
    do_mark_sent(outbound, provider_id)
    return "sent"


def give_up(message_id: int, why: str) -> str:
    outbound = Outbound.objects.select_related("message").filter(message_id=message_id).first()
    if outbound is not None and outbound.status == Outbound.Status.QUEUED:
        do_fail_outbound(outbound, why)
    return "failed"
