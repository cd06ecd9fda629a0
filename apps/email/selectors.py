"""Email's reads: mailboxes and rules as the API shows them."""

from __future__ import annotations

from typing import Any

from .addresses import tenant_domain
from .models import Mailbox, MailRule


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
