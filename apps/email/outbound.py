"""Mail out: an agent's reply on an email conversation, and the acknowledgement of a new one. Each is
sent from the mailbox's address with the conversation's own reply address, `In-Reply-To` the latest
mail of the thread and the whole `References` chain, so every mail program threads it; its
Message-ID is stored before it is sent (a reply to it threads even if the send is retried)."""

from __future__ import annotations

import logging
import re
import smtplib
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.inbox.actions import do_post_message
from apps.inbox.models import Interaction, Message

from .addresses import domain_of, is_ours, reply_address, tenant_domain
from .models import Email, Mailbox
from .parsing import TOKEN as TOKEN_IN_SUBJECT
from .parsing import display

logger = logging.getLogger(__name__)

MAX_REFERENCES = 20


class Transient(Exception):
    """The server could not take it now (a 4xx, a dropped connection): try again later."""


PREFIX = re.compile(r"^\s*(re|aw|sv|fw|fwd|回复|答复|转发)\s*[:\uff1a]\s*", re.IGNORECASE)


def _subject(interaction: Interaction, last: Email | None) -> str:
    """ "Re: " and the conversation's first subject, with its ticket token: the same line all along."""
    base = interaction.subject or (last.subject if last else "") or _("Your message")
    while PREFIX.match(base):
        base = PREFIX.sub("", base, count=1)
    base = TOKEN_IN_SUBJECT.sub("", base).strip()
    return f"Re: {base} [#{interaction.pk}]"


def _thread_of(interaction: Interaction) -> tuple[Email | None, Email | None, list[str]]:
    """The last mail received (a reply answers it), the latest mail either way, and the References chain
    (oldest first)."""
    mails = list(
        Email.objects.filter(interaction__case_id=interaction.case_id).exclude(kind=Email.Kind.BOUNCE).order_by("pk")
    )
    received = [m for m in mails if m.direction == Email.Direction.IN]
    chain: list[str] = []
    for m in mails:
        for mid in [*m.references, m.msgid]:
            if mid and mid not in chain:
                chain.append(mid)
    return (received[-1] if received else None), (mails[-1] if mails else None), chain[-MAX_REFERENCES:]


def _mailbox(last_in: Email | None) -> Mailbox | None:
    if last_in is not None and last_in.mailbox_id:
        return last_in.mailbox
    return Mailbox.objects.filter(is_default=True).first()


def _prepare(message: Message, kind: str) -> Email:
    """The outgoing row (its Message-ID fixed now), made once per message."""
    interaction = message.interaction
    last_in, latest, chain = _thread_of(interaction)
    recipient = (last_in.sender if last_in else "") or (interaction.contact.email if interaction.contact else "")
    cc = [a for a in (last_in.cc if last_in else []) if not is_ours(a) and a != recipient]
    answered = last_in or latest
    return Email.objects.create(
        interaction=interaction,
        message=message if kind == Email.Kind.MAIL else None,
        mailbox=_mailbox(last_in),
        direction=Email.Direction.OUT,
        kind=kind,
        status=Email.Status.QUEUED,
        msgid=make_msgid(domain=tenant_domain()).strip("<>"),
        in_reply_to=answered.msgid if answered else "",
        references=chain,
        subject=_subject(interaction, last_in),
        sender="",
        to=[recipient] if recipient else [],
        cc=cc,
    )


def prepare_reply(message: Message) -> Email:
    """The outgoing row of an agent's answer (made now, so copies can be set before it is sent)."""
    found = Email.objects.filter(message=message, direction=Email.Direction.OUT).first()
    return found or _prepare(message, Email.Kind.MAIL)


def send_forward(forward_id: int, original_id: int, note: str) -> str:
    """A received mail forwarded: the agent's note, the original's header lines and text, its files."""
    forward = Email.objects.select_related("mailbox").filter(pk=forward_id).first()
    original = Email.objects.select_related("message__attachment").filter(pk=original_id).first()
    if forward is None or original is None:
        return "gone"
    if forward.status in (Email.Status.SENT, Email.Status.FAILED):
        return forward.status
    text = original.message.body if original.message else ""
    lines = [
        note, "", "---------- " + _("Forwarded message") + " ----------",
        _("From: %(v)s") % {"v": original.sender}, _("Date: %(v)s") % {"v": f"{original.created_at:%Y-%m-%d %H:%M %Z}"},
        _("Subject: %(v)s") % {"v": original.subject}, _("To: %(v)s") % {"v": ", ".join(original.to)}, "", text,
    ]  # fmt: skip
    attachment = original.message.attachment if original.message else None
    _send(forward, "\n".join(lines).strip(), attachment)
    forward.refresh_from_db()
    return forward.status


def _compose(email: Email, body: str, attachment: Any = None) -> EmailMultiAlternatives:
    from django.db import connection

    from apps.tenants.models import Tenant

    mailbox = email.mailbox
    local = mailbox.local_part if mailbox else "support"
    domain = tenant_domain()
    schema = str(getattr(connection, "schema_name", "public"))
    name = Tenant.objects.filter(schema_name=schema).values_list("name", flat=True).first() or ""
    sender = display(
        mailbox.send_as if mailbox and mailbox.smtp_host and mailbox.send_as else f"{local}@{domain}", name
    )
    headers = {
        "Message-ID": f"<{email.msgid}>",
        "Reply-To": reply_address(email.interaction_id or 0),
    }
    if email.in_reply_to:
        headers["In-Reply-To"] = f"<{email.in_reply_to}>"
    if email.references:
        headers["References"] = " ".join(f"<{m}>" for m in email.references)
    if email.kind == Email.Kind.AUTO_REPLY:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
        headers["Precedence"] = "auto_reply"
    mail = EmailMultiAlternatives(
        subject=email.subject,
        body=body,
        from_email=sender,
        to=email.to,
        cc=email.cc,
        bcc=email.bcc,
        headers=headers,
    )
    if attachment is not None:
        with attachment.file.open("rb") as handle:
            mail.attach(attachment.name, handle.read(), attachment.content_type)
    return mail


def connection_for(mailbox: Mailbox | None) -> Any:
    """The mailbox's own SMTP server when it has one, else the platform's (EMAIL_BACKEND, EMAIL_HOST)."""
    if mailbox is None or not mailbox.smtp_host:
        return get_connection(fail_silently=False)
    from .secrets import unseal

    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        fail_silently=False,
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_username or None,
        password=unseal(mailbox.smtp_password_sealed) or None,
        use_tls=mailbox.smtp_security == "starttls",
        use_ssl=mailbox.smtp_security == "ssl",
        timeout=settings.EMAIL_TIMEOUT,
    )


def check_smtp(mailbox: Mailbox) -> str:
    """Connect, secure and sign in to the mailbox's own server (nothing sent): "" when it works, else why."""
    if not mailbox.smtp_host:
        return ""
    connection = connection_for(mailbox)
    try:
        connection.open()
    except smtplib.SMTPAuthenticationError:
        return _("The server refused the login or password.")
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return _("The server said: %(why)s") % {"why": f"{exc.smtp_code} {said}"}
    except (smtplib.SMTPException, OSError) as exc:
        return _("Could not reach %(host)s on port %(port)d: %(why)s") % {
            "host": mailbox.smtp_host, "port": mailbox.smtp_port, "why": exc}  # fmt: skip
    finally:
        connection.close()
    return ""


def _send(email: Email, body: str, attachment: Any = None) -> None:
    """Send it; a refusal for good marks it failed and tells the agent, a passing one raises Transient."""
    if not email.to:
        _failed(email, _("The customer has no email address."))
        return
    mail = _compose(email, body, attachment)
    Email.objects.filter(pk=email.pk).update(attempts=email.attempts + 1)
    try:
        connection_for(email.mailbox).send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise Transient(str(exc)) from exc
        _failed(email, _("The mail server refused the address: %(why)s") % {"why": _reason(exc.recipients)})
        return
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise Transient(str(exc)) from exc
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        _failed(email, f"{exc.smtp_code} {said}")
        return
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(str(exc)) from exc
    Email.objects.filter(pk=email.pk).update(status=Email.Status.SENT, sent_at=timezone.now(), error="")


def _reason(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{a}: {code} {msg.decode(errors='replace')}" for a, (code, msg) in recipients.items())[:500]


def _failed(email: Email, why: str) -> None:
    with transaction.atomic():
        Email.objects.filter(pk=email.pk).update(status=Email.Status.FAILED, error=why[:2000])
        if email.interaction_id:
            interaction = Interaction.objects.get(pk=email.interaction_id)
            note = _("This mail was not sent: %(why)s") % {"why": why}
            if interaction.status != Interaction.Status.RESOLVED:
                do_post_message(interaction, kind=Message.Kind.SYSTEM, body=note[:4000])


def send_reply(message_id: int) -> str:
    message = Message.objects.select_related("interaction__contact", "attachment").filter(pk=message_id).first()
    if message is None or message.kind != Message.Kind.AGENT or message.interaction.channel != "email":
        return "not a reply"
    email = Email.objects.filter(message=message, direction=Email.Direction.OUT).first()
    if email is not None and email.status in (Email.Status.SENT, Email.Status.FAILED):
        return email.status
    email = email or prepare_reply(message)
    signature = email.mailbox.signature if email.mailbox else ""
    body = message.body + (f"\n\n-- \n{signature}" if signature else "")
    _send(email, body, message.attachment)
    email.refresh_from_db()
    return email.status


def send_acknowledgement(email_id: int, *, out_of_hours: bool = False) -> str:
    received = Email.objects.select_related("interaction", "mailbox").filter(pk=email_id).first()
    if received is None or received.interaction is None:
        return "gone"
    if (
        Email.objects.filter(interaction=received.interaction, kind=Email.Kind.AUTO_REPLY)
        .exclude(status=Email.Status.QUEUED)
        .exists()
    ):
        return "already"
    ack = (
        Email.objects.filter(interaction=received.interaction, kind=Email.Kind.AUTO_REPLY).first()
        or Email.objects.create(
            interaction=received.interaction, mailbox=received.mailbox, direction=Email.Direction.OUT,
            kind=Email.Kind.AUTO_REPLY, status=Email.Status.QUEUED,
            msgid=make_msgid(domain=tenant_domain()).strip("<>"), in_reply_to=received.msgid,
            references=[*received.references, received.msgid][-MAX_REFERENCES:],
            subject=_subject(received.interaction, received), to=[received.sender],
        )
    )  # fmt: skip
    number = received.interaction_id
    mailbox = received.mailbox
    if out_of_hours:
        body = (mailbox.out_of_hours_body if mailbox else "") or _(
            "Thank you for your message. It reached us outside our opening hours: we will answer when we are "
            "open again.\nYour reference is #%(n)d; keep it in the subject if you write again."
        ) % {"n": number}
    else:
        body = (mailbox.auto_reply_body if mailbox else "") or _(
            "Thank you for your message: we have received it and will answer as soon as we can.\n"
            "Your reference is #%(n)d; keep it in the subject if you write again."
        ) % {"n": number}
    _send(ack, body)
    ack.refresh_from_db()
    if ack.status == Email.Status.SENT:
        do_post_message(
            received.interaction,
            kind=Message.Kind.SYSTEM,
            body=_("Acknowledgement sent to %(to)s.") % {"to": received.sender},
        )
    return ack.status


__all__ = ["Transient", "domain_of", "send_acknowledgement", "send_reply"]
