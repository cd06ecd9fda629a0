"""Email's reads: mailboxes and rules as the API shows them."""

from __future__ import annotations

from typing import Any

from .addresses import tenant_domain
from .models import ImapAccount, Mailbox, MailRule


def mailbox_json(mailbox: Mailbox, domain: str | None = None) -> dict[str, Any]:
    return {
        "id": mailbox.pk,
        "name": mailbox.name,
        "local_part": mailbox.local_part,
        "address": f"{mailbox.local_part}@{domain or tenant_domain()}",
        "queue": mailbox.queue_id,
        "is_default": mailbox.is_default,
        "auto_reply": mailbox.auto_reply,
        "auto_reply_body": mailbox.auto_reply_body,
        "out_of_hours_body": mailbox.out_of_hours_body,
        "signature": mailbox.signature,
    }


def rule_json(rule: MailRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "mailbox": rule.mailbox_id,
        "position": rule.position,
        "field": rule.field,
        "contains": rule.contains,
        "queue": rule.queue_id,
        "labels": rule.labels,
        "priority": rule.priority,
        "attributes": rule.attributes,
    }


def mailboxes() -> list[dict[str, Any]]:
    domain = tenant_domain()
    return [mailbox_json(m, domain) for m in Mailbox.objects.order_by("-is_default", "local_part")]


def rules() -> list[dict[str, Any]]:
    return [rule_json(r) for r in MailRule.objects.all()]


def mails_of(interaction_id: int) -> list[dict[str, Any]]:
    """The mails of a conversation, in and out, each with the message that shows it (the desktop adds
    "view the mail" to those messages). Callers authorise first."""
    from django.urls import reverse

    from .models import Email

    rows = Email.objects.filter(interaction_id=interaction_id).select_related("message").order_by("pk")
    return [
        {
            "id": e.pk,
            "seq": e.message.seq if e.message else None,
            "direction": e.direction,
            "kind": e.kind,
            "status": e.status,
            "error": e.error,
            "from": e.sender,
            "to": e.to,
            "cc": e.cc,
            "subject": e.subject,
            "url": reverse("email-original", args=[e.pk]),
        }
        for e in rows
    ]


def imap_json(account: ImapAccount) -> dict[str, Any]:
    """An IMAP connection as the API shows it: never its password, only whether one is kept."""
    return {
        "id": account.pk,
        "mailbox": account.mailbox_id,
        "host": account.host,
        "port": account.port,
        "security": account.security,
        "username": account.username,
        "has_password": bool(account.password_encrypted),
        "folder": account.folder,
        "enabled": account.enabled,
        "supports_idle": account.supports_idle,
        "fetched": account.fetched,
        "checked_at": account.checked_at.isoformat() if account.checked_at else None,
        "last_error": account.last_error,
        "error_at": account.error_at.isoformat() if account.error_at else None,
    }


def imap_accounts() -> list[dict[str, Any]]:
    return [imap_json(a) for a in ImapAccount.objects.order_by("pk")]
