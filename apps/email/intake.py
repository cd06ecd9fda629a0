"""Which mailbox a received mail is for and which routing rule it matches, from the tenant's mailboxes
and rules as this process last read them (MAIL_SETTINGS_CACHE_SECONDS old at most: a change saved in
another process applies within that; one saved in this process, at once). Every received mail used to
read both tables again: three queries of the fifteen a new conversation costs."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from apps.core.errors import NotFound
from apps.routing.models import Queue

from .models import Mailbox, MailRule
from .parsing import Mail

_read: dict[str, tuple[float, list[Mailbox], list[MailRule]]] = {}


def forget_mail_settings() -> None:
    """After a mailbox or rule is saved or deleted in this process."""
    _read.pop(connection.schema_name, None)  # type: ignore[attr-defined]


def _settings() -> tuple[list[Mailbox], list[MailRule]]:
    schema = connection.schema_name  # type: ignore[attr-defined]
    now = time.monotonic()
    hit = _read.get(schema)
    if hit is not None and hit[0] > now:
        return hit[1], hit[2]
    # Without their queues: a queue is read fresh for each new conversation (queue_for).
    mailboxes = list(Mailbox.objects.order_by("pk"))
    rules = list(MailRule.objects.all())  # by position (the model's order)
    ttl = float(settings.MAIL_SETTINGS_CACHE_SECONDS)
    if ttl > 0:
        _read[schema] = (now + ttl, mailboxes, rules)
    return mailboxes, rules


def mailbox_for(local_parts: list[str]) -> Mailbox:
    """The mailbox of the first address that has one, else the default (made on first use, for the
    tenant's first queue)."""
    wanted = [p.lower() for p in local_parts if not p.lower().startswith("reply+")]
    mailboxes, _rules = _settings()
    for local in wanted:
        for mailbox in mailboxes:
            if mailbox.local_part == local:
                return mailbox
    for mailbox in mailboxes:
        if mailbox.is_default:
            return mailbox
    queue = Queue.objects.order_by("pk").first()
    if queue is None:
        raise NotFound(_("This tenant has no queue for mail."))
    default, _created = Mailbox.objects.get_or_create(
        local_part="support", defaults={"name": _("Support"), "queue": queue, "is_default": True}
    )
    forget_mail_settings()
    return default


def rule_for(mail: Mail, mailbox: Mailbox, local_parts: list[str]) -> MailRule | None:
    """The first rule (this mailbox's or every mailbox's, by position) the mail matches."""
    recipients = [*mail.to, *mail.cc, *local_parts]
    _mailboxes, rules = _settings()
    for rule in rules:
        if rule.mailbox_id not in (None, mailbox.pk):
            continue
        if rule.matches(sender=mail.sender, recipients=recipients, subject=mail.subject, body=mail.text):
            return rule
    return None


def queue_for(mailbox: Mailbox, rule: MailRule | None) -> Queue:
    """The queue a new conversation goes to, as it is now: the rule's, else the mailbox's (a queue a
    mailbox names cannot be removed; a rule's can, and then the mailbox's is used)."""
    if rule is not None and rule.queue_id:
        queue = Queue.objects.filter(pk=rule.queue_id).first()
        if queue is not None:
            return queue
        forget_mail_settings()  # the rule went with its queue
    return Queue.objects.get(pk=mailbox.queue_id)
