"""Email's writes: an incoming mail threaded onto its conversation or opening one (through the inbox's
one opening action), its acknowledgement, and the mailboxes.

Threading, in this order: In-Reply-To, any id in References (newest first), the per-conversation
reply address (`reply+<token>@...`), then a `[#<interaction>]` token in the subject, only when the
sender is that conversation's contact. A mail seen before (same Message-ID and same body) is
recognised and dropped; one that reuses a Message-ID with another body is a new mail. Mail sent by a
machine (auto-replies, lists, bulk, junk) is kept but never acknowledged; a bounce is shown on the
conversation whose mail failed, never as the customer's reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.core.validation import json_object
from apps.inbox.actions import MAX_MESSAGE_CHARS, do_identify_contact, do_open_interaction, do_post_message
from apps.inbox.models import Attachment, Interaction, Message
from apps.routing.models import Queue
from apps.routing.selectors import queue_is_open

from .addresses import interaction_of_reply_address
from .intake import forget_mail_settings, mailbox_for, queue_for, rule_for
from .models import AutoReply, Email, ImapAccount, Mailbox, MailRule, ProviderInbound
from .parsing import Mail, parse, ticket_token

logger = logging.getLogger(__name__)

AUTO_REPLY_EVERY = timedelta(days=1)
SAFE_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/zip",
}  # fmt: skip


@dataclass
class Received:
    email: Email | None
    interaction: Interaction | None
    duplicate: bool = False
    opened: bool = False
    acknowledge: bool = False
    closed: bool = False  # its queue was out of hours when it arrived (the acknowledgement says so)


def _thread(mail: Mail, local_parts: list[str]) -> Interaction | None:
    for mid in [*mail.in_reply_to, *reversed(mail.references)]:
        found = Email.objects.filter(msgid=mid).exclude(interaction=None).order_by("-pk").first()
        if found is not None:
            return found.interaction
    for local in local_parts:
        interaction_id = interaction_of_reply_address(local)
        if interaction_id is not None:
            hit = Interaction.objects.filter(pk=interaction_id, channel="email").first()
            if hit is not None:
                return hit
    token = ticket_token(mail.subject)
    if token is not None:
        hit = Interaction.objects.filter(pk=token, channel="email").select_related("contact").first()
        if hit is not None and hit.contact is not None and hit.contact.email.lower() == mail.sender:
            return hit
    return None


def _stored_parts(mail: Mail) -> list[Any]:
    return [p for p in mail.parts if p.data]


def _attachments(interaction: Interaction, mail: Mail) -> list[Attachment]:
    stored = []
    for part in _stored_parts(mail):
        kind = part.content_type if part.content_type in SAFE_TYPES else "application/octet-stream"
        name = part.filename.replace("/", "_")[-200:] or "attachment"
        attachment = Attachment(interaction=interaction, name=name, content_type=kind, size=len(part.data))
        attachment.file.save(name, ContentFile(part.data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _body(mail: Mail) -> str:
    text = mail.reply_text or mail.text or mail.subject or _("(no text)")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 40].rstrip() + "\n… " + _("(cut: the whole mail is kept)")
    return text


def do_receive_email(raw: bytes, local_parts: list[str]) -> Received:
    """Thread or open, store, post the customer's message (one transaction); the caller sends the
    acknowledgement after commit when `acknowledge` says so."""
    mail = parse(raw)
    if Email.objects.filter(
        direction=Email.Direction.IN, msgid=mail.message_id, content_hash=mail.content_hash
    ).exists():
        return Received(email=None, interaction=None, duplicate=True)
    mailbox = mailbox_for(local_parts)
    try:
        with transaction.atomic():
            return _receive(mail, mailbox, local_parts)
    except IntegrityError:  # the same mail, delivered twice at once: the other delivery stored it
        return Received(email=None, interaction=None, duplicate=True)


def _receive(mail: Mail, mailbox: Mailbox, local_parts: list[str]) -> Received:
    fields: dict[str, Any] = {
        "direction": Email.Direction.IN, "msgid": mail.message_id, "content_hash": mail.content_hash,
        "in_reply_to": (mail.in_reply_to or [""])[0][:255], "references": mail.references[-50:],
        "subject": mail.subject, "sender": mail.sender[:254], "to": mail.to[:50], "cc": mail.cc[:50],
        "html": mail.html, "mailbox": mailbox,
    }  # fmt: skip
    if mail.bounce:
        return _bounce(mail, fields)
    interaction = _thread(mail, local_parts)
    opened = False
    if interaction is None or interaction.status == Interaction.Status.RESOLVED:
        contact = (
            do_identify_contact({"email": mail.sender}, {"name": mail.sender_name, "email": mail.sender})
            if mail.sender
            else None
        )
        case = interaction.case_id if interaction is not None else None
        rule = rule_for(mail, mailbox, local_parts)
        interaction = do_open_interaction(
            channel="email", queue=queue_for(mailbox, rule), contact=contact,
            subject=mail.subject, case_id=case, allow_closed=True,
            priority=rule.priority if rule and rule.priority is not None else 0,
            attributes=rule.attributes if rule else None,
        )  # fmt: skip
        if rule and rule.labels:
            Interaction.objects.filter(pk=interaction.pk).update(labels=rule.labels)
            interaction.labels = list(rule.labels)
        opened = True
    attachments = _attachments(interaction, mail)
    message = do_post_message(
        interaction, kind=Message.Kind.CUSTOMER, body=_body(mail), attachment=attachments[0] if attachments else None
    )
    for extra in attachments[1:]:
        do_post_message(interaction, kind=Message.Kind.CUSTOMER, attachment=extra)
    inline = {p.content_id: a.pk for p, a in zip(_stored_parts(mail), attachments, strict=True) if p.content_id}
    email = Email.objects.create(interaction=interaction, message=message, inline=inline, **fields)
    acknowledge = opened and _may_acknowledge(mail, mailbox)
    closed = acknowledge and interaction.queue is not None and not queue_is_open(interaction.queue, timezone.now())
    return Received(email=email, interaction=interaction, opened=opened, acknowledge=acknowledge, closed=closed)


def _bounce(mail: Mail, fields: dict[str, Any]) -> Received:
    failed = Email.objects.filter(direction=Email.Direction.OUT, msgid__in=mail.bounced_ids).first()
    email = Email.objects.create(
        kind=Email.Kind.BOUNCE,
        status=Email.Status.RECEIVED if failed else Email.Status.IGNORED,
        interaction=failed.interaction if failed else None,
        **fields,
    )
    if failed is None or failed.interaction is None:
        return Received(email=email, interaction=None)
    failed.status, failed.error = Email.Status.FAILED, mail.bounce_reason or _("The receiving server refused it.")
    failed.save(update_fields=["status", "error"])
    note = _("Your mail to %(to)s was not delivered: %(why)s") % {"to": ", ".join(failed.to), "why": failed.error}
    do_post_message(failed.interaction, kind=Message.Kind.SYSTEM, body=note[:MAX_MESSAGE_CHARS])
    return Received(email=email, interaction=failed.interaction)


def _may_acknowledge(mail: Mail, mailbox: Mailbox) -> bool:
    """Never to a machine (auto-submitted, list, bulk, junk, bounce), to no address of ours, and at most
    once a day to a sender (the row is taken here, in the transaction: two mails at once, one reply)."""
    if not mailbox.auto_reply or mail.auto_submitted or mail.bulk or mail.bounce or not mail.sender:
        return False
    from .addresses import is_ours

    if is_ours(mail.sender):
        return False
    # One statement: the sender's row made, or moved on if its last acknowledgement is a day old; a row
    # back means acknowledge (two mails at once: one gets it).
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {AutoReply._meta.db_table} (mailbox_id, address, sent_at) VALUES (%s, %s, now())
            ON CONFLICT (mailbox_id, address) DO UPDATE SET sent_at = now()
            WHERE {AutoReply._meta.db_table}.sent_at < now() - make_interval(secs => %s) RETURNING id""",
            [mailbox.pk, mail.sender, AUTO_REPLY_EVERY.total_seconds()],
        )
        return cursor.fetchone() is not None


# --- mailboxes -----------------------------------------------------------------------------------


def _admin(actor: User) -> None:
    if actor.role not in ("owner", "admin"):
        raise PermissionDenied(_("Only admins and the owner change mailboxes."))


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def do_save_mailbox(actor: User, data: Any, mailbox_id: int | None = None) -> Mailbox:
    _admin(actor)
    data = json_object(data)
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id else Mailbox()
    if mailbox is None:
        raise NotFound(_("No such mailbox."))
    name = data.get("name", mailbox.name)
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise _fail("name", _("1 to 100 characters."))
    local = data.get("local_part", mailbox.local_part)
    if not isinstance(local, str) or not local or len(local) > 64 or not all(c.isalnum() or c in "._-" for c in local):
        raise _fail("local_part", _("Letters, digits, dot, dash and underscore (64 at most)."))
    if local.lower().startswith("reply+"):
        raise _fail("local_part", _("Addresses starting with reply+ are the conversations' own."))
    queue_id = data.get("queue", mailbox.queue_id if mailbox.pk else None)
    queue = Queue.objects.filter(pk=queue_id).first() if isinstance(queue_id, int) else None
    if queue is None:
        raise _fail("queue", _("No such queue."))
    texts = {}
    for field, limit in (("signature", 2000), ("auto_reply_body", 4000), ("out_of_hours_body", 4000)):
        value = data.get(field, getattr(mailbox, field))
        if not isinstance(value, str) or len(value) > limit:
            raise _fail(field, _("Text of %(n)d characters at most.") % {"n": limit})
        texts[field] = value.strip()
    auto = data.get("auto_reply", mailbox.auto_reply)
    if not isinstance(auto, bool):
        raise _fail("auto_reply", _("true or false."))
    smtp = _smtp_fields(data, mailbox)
    with transaction.atomic():
        clash = Mailbox.objects.filter(local_part=local.lower()).exclude(pk=mailbox.pk).exists()
        if clash:
            raise _fail("local_part", _("Another mailbox has this address."))
        mailbox.name, mailbox.local_part, mailbox.queue, mailbox.auto_reply = name.strip(), local.lower(), queue, auto
        mailbox.signature, mailbox.auto_reply_body = texts["signature"], texts["auto_reply_body"]
        mailbox.out_of_hours_body = texts["out_of_hours_body"]
        for field, value in smtp.items():
            setattr(mailbox, field, value)
        if not Mailbox.objects.filter(is_default=True).exclude(pk=mailbox.pk).exists():
            mailbox.is_default = True
        mailbox.save()
        record_audit(
            actor, "email.mailbox_saved", mailbox, local_part=mailbox.local_part, queue=queue.pk,
            smtp_host=mailbox.smtp_host,
        )  # fmt: skip
    forget_mail_settings()
    return mailbox


def _smtp_fields(data: dict[str, Any], mailbox: Mailbox) -> dict[str, Any]:
    """The mailbox's own outgoing server: smtp_host ("": the platform's), smtp_port, smtp_security
    (ssl, starttls, none), smtp_username, smtp_password (left out or "": kept), send_as."""
    from django.core.validators import validate_email

    from .secrets import seal

    host = data.get("smtp_host", mailbox.smtp_host) or ""
    if not isinstance(host, str) or len(host.strip()) > 253 or not set(host.strip().lower()) <= HOST_CHARS:
        raise _fail("smtp_host", _("A server name such as smtp.example.com, or empty for ours."))
    security = data.get("smtp_security", mailbox.smtp_security) or "starttls"
    if security not in ("ssl", "starttls", "none"):
        raise _fail("smtp_security", _("One of: %(f)s.") % {"f": "ssl, starttls, none"})
    port = data.get("smtp_port", mailbox.smtp_port)
    if port is None:
        port = 465 if security == "ssl" else 587
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise _fail("smtp_port", _("A port from 1 to 65535."))
    username = data.get("smtp_username", mailbox.smtp_username) or ""
    if not isinstance(username, str) or len(username) > 254:
        raise _fail("smtp_username", _("254 characters at most."))
    password = data.get("smtp_password") or ""
    if not isinstance(password, str) or len(password) > 500:
        raise _fail("smtp_password", _("500 characters at most."))
    send_as = data.get("send_as", mailbox.send_as) or ""
    try:
        if send_as:
            validate_email(send_as)
    except Exception as exc:
        raise _fail("send_as", _("An email address, or empty.")) from exc
    fields: dict[str, Any] = {
        "smtp_host": host.strip().lower(), "smtp_port": port, "smtp_security": security,
        "smtp_username": username.strip(), "send_as": str(send_as).strip().lower(),
    }  # fmt: skip
    if password:
        fields["smtp_password_sealed"] = seal(password)
    if not fields["smtp_host"]:
        fields["smtp_password_sealed"] = ""
    return fields


LABEL_MAX, LABELS_MAX = 40, 10


def do_save_rule(actor: User, data: Any, rule_id: int | None = None) -> MailRule:
    """A routing rule for new mail: {field, contains, mailbox (null: all), queue, labels, priority,
    attributes, position}."""
    from apps.routing.actions import check_attributes

    _admin(actor)
    data = json_object(data)
    rule = MailRule.objects.filter(pk=rule_id).first() if rule_id else MailRule()
    if rule is None:
        raise NotFound(_("No such rule."))
    field = data.get("field", rule.field)
    if field not in MailRule.Field.values:
        raise _fail("field", _("One of: %(f)s.") % {"f": ", ".join(MailRule.Field.values)})
    contains = data.get("contains", rule.contains)
    if not isinstance(contains, str) or not 1 <= len(contains.strip()) <= 200:
        raise _fail("contains", _("1 to 200 characters."))
    mailbox_id = data.get("mailbox", rule.mailbox_id)
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if isinstance(mailbox_id, int) else None
    if mailbox_id is not None and mailbox is None:
        raise _fail("mailbox", _("No such mailbox."))
    queue_id = data.get("queue", rule.queue_id)
    queue = Queue.objects.filter(pk=queue_id).first() if isinstance(queue_id, int) else None
    if queue_id is not None and queue is None:
        raise _fail("queue", _("No such queue."))
    labels = data.get("labels", rule.labels)
    if (
        not isinstance(labels, list)
        or len(labels) > LABELS_MAX
        or not all(isinstance(x, str) and 1 <= len(x.strip()) <= LABEL_MAX for x in labels)
    ):
        raise _fail("labels", _("Up to %(n)d labels of 1 to %(m)d characters.") % {"n": LABELS_MAX, "m": LABEL_MAX})
    priority = data.get("priority", rule.priority)
    if priority is not None and (
        not isinstance(priority, int) or isinstance(priority, bool) or not -100 <= priority <= 100
    ):
        raise _fail("priority", _("A whole number from -100 to 100, or null."))
    attributes = check_attributes(data.get("attributes", rule.attributes))
    position = data.get("position", rule.position)
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 10_000:
        raise _fail("position", _("A whole number from 0 to 10000."))
    if queue is None and not labels and priority is None and not attributes:
        raise _fail("queue", _("A rule does something: a queue, labels, a priority or attributes."))
    with transaction.atomic():
        rule.field, rule.contains, rule.mailbox, rule.queue = field, contains.strip(), mailbox, queue
        rule.labels, rule.priority, rule.attributes, rule.position = (
            [x.strip() for x in labels],
            priority,
            attributes,
            position,
        )
        rule.save()
        record_audit(actor, "email.rule_saved", rule, field=field, contains=rule.contains)
    forget_mail_settings()
    return rule


def do_delete_rule(actor: User, rule_id: int) -> None:
    _admin(actor)
    with transaction.atomic():
        rule = MailRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("No such rule."))
        record_audit(actor, "email.rule_deleted", rule, field=rule.field, contains=rule.contains)
        rule.delete()
    forget_mail_settings()


# --- IMAP mailboxes ------------------------------------------------------------------------------

HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def do_save_imap(actor: User, data: Any, account_id: int | None = None) -> ImapAccount:
    """An IMAP mailbox of the tenant's to read: {mailbox, host, port, security, username, password
    (left out or "" on a change: kept), folder, enabled, include_existing}. Pointing it elsewhere (server,
    user, folder) starts afresh; the first look happens at once (after commit)."""
    from .secrets import seal

    _admin(actor)
    data = json_object(data)
    account = ImapAccount.objects.filter(pk=account_id).first() if account_id else ImapAccount()
    if account is None:
        raise NotFound(_("No such IMAP connection."))
    mailbox_id = data.get("mailbox", account.mailbox_id if account.pk else None)
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if isinstance(mailbox_id, int) else None
    if mailbox is None:
        raise _fail("mailbox", _("No such mailbox."))
    host = data.get("host", account.host)
    if not isinstance(host, str) or not 1 <= len(host.strip()) <= 253 or not set(host.strip().lower()) <= HOST_CHARS:
        raise _fail("host", _("A server name such as imap.example.com."))
    security = data.get("security", account.security)
    if security not in ImapAccount.Security.values:
        raise _fail("security", _("One of: %(f)s.") % {"f": ", ".join(ImapAccount.Security.values)})
    port = data.get("port", account.port if account.pk else (993 if security == "ssl" else 143))
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise _fail("port", _("A port from 1 to 65535."))
    username = data.get("username", account.username)
    if not isinstance(username, str) or not 1 <= len(username.strip()) <= 254:
        raise _fail("username", _("1 to 254 characters."))
    password = data.get("password") or ""
    if not isinstance(password, str) or len(password) > 500:
        raise _fail("password", _("500 characters at most."))
    if not password and not account.password_encrypted:
        raise _fail("password", _("The mailbox's password (or an app password)."))
    folder = data.get("folder", account.folder) or "INBOX"
    if not isinstance(folder, str) or len(folder.strip()) > 200:
        raise _fail("folder", _("200 characters at most."))
    enabled = data.get("enabled", account.enabled)
    if not isinstance(enabled, bool):
        raise _fail("enabled", _("true or false."))
    include_existing = data.get("include_existing", False)
    if not isinstance(include_existing, bool):
        raise _fail("include_existing", _("true or false."))
    host, username, folder = host.strip().lower(), username.strip(), folder.strip()
    moved = (account.host, account.port, account.username, account.folder) != (host, port, username, folder)
    with transaction.atomic():
        account.mailbox, account.host, account.port, account.security = mailbox, host, port, security
        account.username, account.folder, account.enabled = username, folder, enabled
        if password:
            account.password_encrypted = seal(password)
        if moved or include_existing:
            account.uidvalidity, account.last_uid = None, 0
        account.last_error = ""
        account.save()
        record_audit(actor, "email.imap_saved", account, host=host, username=username, folder=folder)
        if enabled:
            pk = account.pk
            transaction.on_commit(lambda: _first_look(pk, include_existing))
    return account


def _first_look(account_id: int, include_existing: bool) -> None:
    from celery import current_app

    current_app.send_task("email.poll_imap_account", args=(account_id, include_existing))


def do_delete_imap(actor: User, account_id: int) -> None:
    _admin(actor)
    with transaction.atomic():
        account = ImapAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such IMAP connection."))
        record_audit(actor, "email.imap_deleted", account, host=account.host, username=account.username)
        account.delete()


# --- providers' inbound webhooks -----------------------------------------------------------------


def do_save_provider_inbound(actor: User, data: Any) -> ProviderInbound:
    """A provider's inbound webhook for the tenant: {provider, mailbox, signing_key (Mailgun's; left out or
    "": kept), enabled, new_secret (true: a new basic-auth secret, the old URL stops working)}."""
    import secrets

    from .secrets import seal

    _admin(actor)
    data = json_object(data)
    provider = data.get("provider")
    if provider not in ProviderInbound.Provider.values:
        raise _fail("provider", _("One of: %(f)s.") % {"f": ", ".join(ProviderInbound.Provider.values)})
    hook = ProviderInbound.objects.filter(provider=provider).first() or ProviderInbound(provider=provider)
    mailbox_id = data.get("mailbox", hook.mailbox_id if hook.pk else None)
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if isinstance(mailbox_id, int) else None
    if mailbox is None:
        raise _fail("mailbox", _("No such mailbox."))
    key = data.get("signing_key") or ""
    if not isinstance(key, str) or len(key) > 200:
        raise _fail("signing_key", _("200 characters at most."))
    if provider == ProviderInbound.Provider.MAILGUN and not key and not hook.signing_key_sealed:
        raise _fail("signing_key", _("Mailgun's HTTP webhook signing key (Mailgun: Sending > Webhooks)."))
    enabled = data.get("enabled", hook.enabled)
    if not isinstance(enabled, bool):
        raise _fail("enabled", _("true or false."))
    renew = data.get("new_secret", False) is True
    with transaction.atomic():
        hook.mailbox, hook.enabled = mailbox, enabled
        if key:
            hook.signing_key_sealed = seal(key.strip())
        if renew or not hook.secret_sealed:
            hook.secret_sealed = seal(secrets.token_urlsafe(24))
        hook.last_error = ""
        hook.save()
        record_audit(actor, "email.provider_inbound_saved", hook, provider=provider, mailbox=mailbox.pk, renewed=renew)
    return hook


def do_delete_provider_inbound(actor: User, provider: str) -> None:
    _admin(actor)
    with transaction.atomic():
        hook = ProviderInbound.objects.select_for_update().filter(provider=provider).first()
        if hook is None:
            raise NotFound(_("No such inbound webhook."))
        record_audit(actor, "email.provider_inbound_deleted", hook, provider=provider)
        hook.delete()


# --- answering and forwarding from the desktop ---------------------------------------------------

MAX_COPIES = 20


def _addresses(field: str, value: Any) -> list[str]:
    """A list of addresses (or one string of them, comma-separated), each checked; at most 20."""
    from django.core.validators import validate_email

    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [a for a in (x.strip() for x in value.replace(";", ",").split(",")) if a]
    if not isinstance(value, list) or len(value) > MAX_COPIES or not all(isinstance(a, str) for a in value):
        raise _fail(field, _("Up to %(n)d addresses.") % {"n": MAX_COPIES})
    found: list[str] = []
    for address in value:
        try:
            validate_email(address.strip())
        except Exception as exc:
            raise _fail(field, _("Not an email address: %(a)s") % {"a": address[:100]}) from exc
        if address.strip().lower() not in found:
            found.append(address.strip().lower())
    return found


def do_reply_by_mail(actor: User, interaction_id: int, data: Any) -> Message:
    """The agent's answer on an email conversation with its copies: {body, cc (replaces the thread's),
    bcc}. The message is posted like any answer; its mail (sent after commit) carries the copies."""
    from apps.inbox.actions import check_can_work_on, do_agent_reply

    from .outbound import prepare_reply

    data = json_object(data)
    interaction = Interaction.objects.filter(pk=interaction_id).first()
    if interaction is None or interaction.channel != "email":
        raise NotFound(_("No such email conversation."))
    check_can_work_on(actor, interaction)
    body = data.get("body")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_MESSAGE_CHARS:
        raise _fail("body", _("1 to %(n)d characters.") % {"n": MAX_MESSAGE_CHARS})
    cc, bcc = _addresses("cc", data.get("cc")), _addresses("bcc", data.get("bcc"))
    with transaction.atomic():
        message = do_agent_reply(interaction, actor, body.strip())
        email = prepare_reply(message)
        to = set(email.to)
        email.cc = [a for a in cc if a not in to] if "cc" in data else email.cc
        email.bcc = [a for a in bcc if a not in to]
        email.save(update_fields=["cc", "bcc"])
        record_audit(actor, "email.reply_sent", email, interaction=interaction.pk, cc=email.cc, bcc=email.bcc)
    return message


def do_forward_mail(actor: User, email_id: int, data: Any) -> Email:
    """A received mail sent on to someone else: {to, cc, note}. Sent from the mailbox, Reply-To the
    conversation's address (their answer lands in the conversation); the conversation notes it."""
    from apps.inbox.actions import check_can_work_on

    data = json_object(data)
    original = Email.objects.select_related("interaction", "mailbox", "message").filter(pk=email_id).first()
    if original is None or original.interaction is None or original.direction != Email.Direction.IN:
        raise NotFound(_("No such received mail."))
    check_can_work_on(actor, original.interaction)
    to, cc = _addresses("to", data.get("to")), _addresses("cc", data.get("cc"))
    if not to:
        raise _fail("to", _("Whom to forward it to."))
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_MESSAGE_CHARS:
        raise _fail("note", _("%(n)d characters at most.") % {"n": MAX_MESSAGE_CHARS})
    from email.utils import make_msgid

    from .addresses import tenant_domain

    with transaction.atomic():
        forward = Email.objects.create(
            interaction=original.interaction, mailbox=original.mailbox, direction=Email.Direction.OUT,
            kind=Email.Kind.MAIL, status=Email.Status.QUEUED,
            msgid=make_msgid(domain=tenant_domain()).strip("<>"), in_reply_to="", references=[original.msgid],
            subject=f"Fwd: {original.subject}"[:998], to=to, cc=[a for a in cc if a not in to],
        )  # fmt: skip
        do_post_message(
            original.interaction, kind=Message.Kind.SYSTEM,
            body=_("%(agent)s forwarded the mail “%(subject)s” to %(to)s.") % {
                "agent": actor.full_name or actor.email, "subject": original.subject, "to": ", ".join(to)},
        )  # fmt: skip
        record_audit(actor, "email.forwarded", forward, original=original.pk, to=to, cc=forward.cc)
        forward_id, text = forward.pk, note.strip()
        transaction.on_commit(lambda: _queue_forward(forward_id, original.pk, text))
    return forward


def _queue_forward(forward_id: int, original_id: int, note: str) -> None:
    from celery import current_app

    current_app.send_task("email.send_forward", args=(forward_id, original_id, note))
