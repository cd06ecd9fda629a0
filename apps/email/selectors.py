"""Email's reads: mailboxes and rules as the API shows them."""

from __future__ import annotations

from typing import Any

from .addresses import tenant_domain
from .models import ImapAccount, Mailbox, MailRule, ProviderInbound


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
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_username": mailbox.smtp_username,
        "has_smtp_password": bool(mailbox.smtp_password_sealed),
        "send_as": mailbox.send_as,
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
        "left_behind": account.left_behind,
    }


def imap_accounts() -> list[dict[str, Any]]:
    return [imap_json(a) for a in ImapAccount.objects.order_by("pk")]


def provider_inbound_url(hook: ProviderInbound) -> str:
    """The URL to paste into the provider: the tenant's host, with the basic-auth user and secret in it."""
    from django.db import connection

    from apps.tenants.models import Tenant
    from apps.tenants.selectors import tenant_url

    from .providers import BASIC_USER
    from .secrets import unseal

    tenant = Tenant.objects.get(schema_name=str(getattr(connection, "schema_name", "")))
    url = tenant_url(tenant, f"/email/inbound/{hook.provider}/")
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{BASIC_USER}:{unseal(hook.secret_sealed)}@{rest}"


def provider_inbound_json(hook: ProviderInbound) -> dict[str, Any]:
    """For admins: the URL carries the secret (it is ours, made for this); Mailgun's key is never read back."""
    return {
        "provider": hook.provider,
        "mailbox": hook.mailbox_id,
        "url": provider_inbound_url(hook),
        "has_signing_key": bool(hook.signing_key_sealed),
        "enabled": hook.enabled,
        "received": hook.received,
        "received_at": hook.received_at.isoformat() if hook.received_at else None,
        "last_error": hook.last_error,
        "error_at": hook.error_at.isoformat() if hook.error_at else None,
    }


def providers_inbound() -> list[dict[str, Any]]:
    return [provider_inbound_json(h) for h in ProviderInbound.objects.order_by("provider")]


def signature_of(interaction_id: int) -> str:
    """The signature an answer on this conversation gets: its last received mail's mailbox's, or the
    default mailbox's."""
    from .models import Email

    last = Email.objects.filter(interaction_id=interaction_id, direction="in").exclude(mailbox=None).order_by("-pk")
    mailbox = last.values_list("mailbox__signature", flat=True).first()
    if mailbox is not None:
        return str(mailbox)
    return Mailbox.objects.filter(is_default=True).values_list("signature", flat=True).first() or ""
