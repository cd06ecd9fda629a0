"""Messaging's writes: connecting a channel; a provider's delivery stored once (the webhook's only
write, made to be fast); a stored message put in the inbox (thread, contact, interaction, files); a
delivery status recorded; a template sent; the end of a send (sent or failed, the agent told)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.phones import e164
from apps.core.sealing import seal
from apps.core.tenancy import current_schema
from apps.core.validation import json_object
from apps.inbox.actions import check_can_work_on, do_identify_contact, do_open_interaction, do_post_message
from apps.inbox.actions.messages import agents_group, do_store_attachment
from apps.inbox.models import Attachment, Interaction, Message
from apps.routing.models import Queue

from .models import Inbound, MessagingChannel, Outbound, Provider, Thread
from .providers import ADAPTERS, Event

MAX_TEXT = 4000
# How long after the customer's last message a business may still write freely.
WINDOWS = {Provider.WHATSAPP: timedelta(hours=24), Provider.WECHAT: timedelta(hours=48)}
_STATUS_ORDER = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


# --- channels (settings) ------------------------------------------------------------------------------


def _admin(actor: User) -> None:
    if actor.role not in ("owner", "admin"):
        raise PermissionDenied(_("Only the owner and admins connect channels."))


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _templates(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > 50:
        raise _fail("templates", _("A list of at most 50 templates."))
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise _fail("templates", _("Each template needs a name (as approved by WhatsApp)."))
        name = item["name"].strip()
        if not re.fullmatch(r"[a-z0-9_]{1,100}", name):
            raise _fail("templates", _("Template names are lower-case letters, digits and underscores."))
        language = str(item.get("language") or "en")[:10]
        text = item.get("text", "")
        if not isinstance(text, str) or len(text) > 1024:
            raise _fail("templates", _("A template's text is at most 1024 characters."))
        out.append({"name": name, "language": language, "text": text.strip()})
    return out


def do_save_channel(actor: User, data: Any, channel_id: int | None = None) -> MessagingChannel:
    """Connect a channel, or change one: name, queue, address, secrets (a blank secret keeps the one
    stored), templates, active."""
    _admin(actor)
    data = json_object(data)
    channel = MessagingChannel.objects.filter(pk=channel_id).first() if channel_id else MessagingChannel()
    if channel is None:
        raise NotFound(_("No such channel."))
    provider = data.get("provider", channel.provider) if not channel.pk else channel.provider
    if provider not in ADAPTERS:
        raise _fail("provider", _("Choose one of: %(p)s.") % {"p": ", ".join(ADAPTERS)})
    adapter = ADAPTERS[provider]
    name = data.get("name", channel.name)
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise _fail("name", _("1 to 100 characters."))
    address = data.get("address", channel.address)
    if not isinstance(address, str) or not address.strip() or len(address) > 100:
        raise _fail("address", _("Required, 100 characters at most."))
    address = address.strip()
    if provider == Provider.TWILIO:
        address = e164(address)
        if not address:
            raise _fail("address", _("Use the international format, e.g. +4930123456."))
    queue_id = data.get("queue", channel.queue_id if channel.pk else None)
    queue = Queue.objects.filter(pk=queue_id).first() if isinstance(queue_id, int) else None
    if queue is None:
        raise _fail("queue", _("No such queue."))
    given = data.get("secrets", {})
    if not isinstance(given, dict):
        raise _fail("secrets", _("An object of secrets."))
    secrets = dict(channel.secrets or {})
    for field in adapter.secret_fields:
        value = given.get(field.name, "")
        if not isinstance(value, str) or len(value) > 500:
            raise _fail(field.name, _("Text of 500 characters at most."))
        if value.strip():
            secrets[field.name] = seal(value.strip(), "messaging")
        if field.required and not secrets.get(field.name):
            raise _fail(field.name, _("Required."))
    templates = _templates(data.get("templates", channel.templates or []))
    active = data.get("active", channel.active if channel.pk else True)
    if not isinstance(active, bool):
        raise _fail("active", _("true or false."))
    with transaction.atomic():
        if MessagingChannel.objects.filter(provider=provider, address=address).exclude(pk=channel.pk).exists():
            raise _fail("address", _("Another channel has this address."))
        channel.provider, channel.name, channel.address, channel.queue = provider, name.strip(), address, queue
        channel.secrets, channel.templates, channel.active = secrets, templates, active
        channel.__dict__.pop("_plain_secrets", None)
        channel.save()
        record_audit(
            actor,
            "messaging.channel_saved",
            channel,
            provider=provider,
            address=address,
            queue=queue.pk,
            active=active,
            secrets=sorted(secrets),
        )
    return channel


def do_delete_channel(actor: User, channel_id: int) -> None:
    _admin(actor)
    with transaction.atomic():
        channel = MessagingChannel.objects.filter(pk=channel_id).first()
        if channel is None:
            raise NotFound(_("No such channel."))
        record_audit(actor, "messaging.channel_deleted", channel, provider=channel.provider, address=channel.address)
        channel.delete()


# --- receiving --------------------------------------------------------------------------------------


@dataclass
class Fetched:
    name: str
    content_type: str
    data: bytes | None
    error: str = ""


def _at(event: Event) -> datetime:
    parsed = parse_datetime(event.at) if event.at else None
    now = timezone.now()
    return parsed if parsed is not None and parsed <= now else now


def _identities(channel: MessagingChannel, event: Event, phone: str) -> dict[str, str]:
    if phone:
        return {"phone": phone}
    return {"messaging": f"{channel.provider}:{channel.address}:{event.address}"}


def do_receive_message(inbound: Inbound, event: Event, files: list[Fetched]) -> Interaction:
    """A customer's message into the inbox: their thread on this channel, their contact (by phone or
    channel id), the thread's open interaction or a new one in the channel's queue, the message and
    its files. Inside the caller's transaction, with the inbound row locked."""
    channel = inbound.channel
    phone = e164(event.phone) if event.phone else ""
    # An SMS thread is the customer's number (E.164: however the carrier wrote it, one thread).
    address = phone if channel.provider == Provider.TWILIO and phone else event.address
    thread, _created = Thread.objects.get_or_create(channel=channel, address=address[:200])
    thread = Thread.objects.select_for_update(of=("self",)).select_related("interaction").get(pk=thread.pk)
    interaction = thread.interaction
    if interaction is None or interaction.status == Interaction.Status.RESOLVED:
        profile = {"name": event.name[:150], "phone": phone}
        contact = do_identify_contact(_identities(channel, event, phone), profile)
        interaction = do_open_interaction(
            channel="messaging",
            queue=channel.queue,
            contact=contact,
            allow_closed=True,
            subject=f"{channel.get_provider_display()}: {event.name or phone or event.address}",
            case_id=interaction.case_id if interaction is not None else None,
        )
        thread.interaction = interaction
    thread.last_inbound_at = max(thread.last_inbound_at or _at(event), _at(event))
    thread.save(update_fields=["interaction", "last_inbound_at"])
    stored: list[Attachment] = []
    notes = []
    for item in files:
        if item.data is None:
            notes.append(_("(a file could not be kept: %(why)s)") % {"why": item.error})
            continue
        upload = SimpleUploadedFile(item.name or "file", item.data, content_type=item.content_type)
        try:
            stored.append(do_store_attachment(interaction, upload))
        except ApplicationError as exc:
            notes.append(_("(a file could not be kept: %(why)s)") % {"why": exc.message})
    text = "\n".join(t for t in [event.text.strip(), *notes] if t)[:MAX_TEXT]
    if text or not stored:
        do_post_message(
            interaction,
            kind=Message.Kind.CUSTOMER,
            body=text or _("(an empty message)"),
            attachment=stored[0] if stored else None,
        )
        stored = stored[1:]
    for extra in stored:
        do_post_message(interaction, kind=Message.Kind.CUSTOMER, attachment=extra)
    return interaction


def _announce(outbound: Outbound) -> None:
    message = outbound.message
    if message is None:
        return
    schema = current_schema()
    event = {
        "type": "messaging.status",
        "interaction_id": message.interaction_id,
        "seq": message.seq,
        "status": outbound.status,
        "error": outbound.error,
    }
    send_event_on_commit(schema, event, [agents_group(schema, message.interaction_id)])


def do_record_status(inbound: Inbound, event: Event) -> int:
    """A delivery status from the provider: the message's state moves forward (never back: a late
    "delivered" after "read" changes nothing); a failure is told to the agent. How many changed."""
    channel = inbound.channel
    if event.provider_id.startswith("read:"):  # Messenger: everything sent before the watermark was read
        found = list(
            Outbound.objects.select_for_update(of=("self",))
            .filter(
                thread__channel=channel,
                thread__address=event.address,
                created_at__lte=_at(event),
                status__in=[Outbound.Status.SENT, Outbound.Status.DELIVERED],
            )
            .select_related("message")
        )
    else:
        found = list(
            Outbound.objects.select_for_update(of=("self",))
            .filter(thread__channel=channel, provider_id=event.provider_id)
            .select_related("message")
        )
    changed = 0
    for outbound in found:
        if outbound.status == Outbound.Status.FAILED:
            continue
        if event.status == "failed":
            do_fail_outbound(outbound, event.error or _("The provider could not deliver it."))
            changed += 1
        elif _STATUS_ORDER.get(event.status, -1) > _STATUS_ORDER.get(outbound.status, 0):
            outbound.status, outbound.updated_at = event.status, timezone.now()
            outbound.save(update_fields=["status", "updated_at"])
            _announce(outbound)
            changed += 1
    return changed


# --- sending ----------------------------------------------------------------------------------------


def window_closes_at(thread: Thread) -> datetime | None:
    """When the provider stops taking free-form messages to this customer (None: it never does)."""
    window = WINDOWS.get(thread.channel.provider)  # type: ignore[call-overload]
    if window is None:
        return None
    if thread.last_inbound_at is None:
        return timezone.now() - timedelta(seconds=1)
    return thread.last_inbound_at + window


def do_fail_outbound(outbound: Outbound, why: str) -> None:
    """The message will not reach the customer: marked failed, and the agent reads why in the
    conversation."""
    with transaction.atomic():
        outbound.status, outbound.error, outbound.updated_at = Outbound.Status.FAILED, why[:2000], timezone.now()
        outbound.save(update_fields=["status", "error", "updated_at"])
        _announce(outbound)
        message = outbound.message
        if message is not None:
            interaction = Interaction.objects.get(pk=message.interaction_id)
            if interaction.status != Interaction.Status.RESOLVED:
                note = _("Not delivered to the customer: %(why)s") % {"why": why}
                do_post_message(interaction, kind=Message.Kind.SYSTEM, body=note[:MAX_TEXT])


def do_mark_sent(outbound: Outbound, provider_id: str) -> None:
    with transaction.atomic():
        outbound.provider_id, outbound.status = provider_id[:200], Outbound.Status.SENT
        outbound.updated_at = timezone.now()
        outbound.save(update_fields=["provider_id", "status", "updated_at", "attempts"])
        _announce(outbound)


def thread_of(interaction: Interaction) -> Thread | None:
    return Thread.objects.select_related("channel").filter(interaction=interaction).first()


def do_send_template(actor: User, interaction: Interaction, name: Any) -> Message:
    """An approved WhatsApp template to a customer whose 24-hour window has closed: shown in the
    conversation as its text, sent as the template."""
    check_can_work_on(actor, interaction)
    thread = thread_of(interaction)
    if thread is None or thread.channel.provider != Provider.WHATSAPP:
        raise ValidationFailed(_("Templates are for WhatsApp conversations."))
    template = next((t for t in thread.channel.templates if t.get("name") == name), None)
    if template is None:
        raise _fail("name", _("No such template on this channel."))
    with transaction.atomic():
        body = template.get("text") or _("(template %(name)s)") % {"name": template["name"]}
        message = do_post_message(interaction, kind=Message.Kind.AGENT, body=body, author=actor)
        Outbound.objects.create(thread=thread, message=message, template=template["name"])
        record_audit(actor, "messaging.template_sent", message, template=template["name"])
    return message
