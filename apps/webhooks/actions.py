"""Webhooks' writes: subscriptions (made, changed, their secret rotated, removed) by the tenant's owner
and admins, each audited; an event becoming one delivery per subscription that wants it; a replay
someone asked for. The worker's writes (an attempt and what follows it) are in `sending`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.core.validation import json_object

from . import payloads, signing
from .models import EVENTS, Delivery, Subscription
from .targets import TargetRefused, check_url, resolve
from .tasks import deliver
from .wanted import forget_wanted, wanted_events

MAX_SUBSCRIPTIONS = 20


def _admin(actor: User) -> None:
    if actor.role not in (User.Role.OWNER, User.Role.ADMIN):
        raise PermissionDenied(_("Only the owner or an admin can manage webhooks."))


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the errors below."), fields={field: [message]})


# --- subscriptions ----------------------------------------------------------------------------------------


def _clean(data: dict[str, Any], sub: Subscription) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "url" in data or sub.pk is None:
        try:
            url = check_url(data.get("url"))
            resolve(url)
            cleaned["url"] = url
        except TargetRefused as exc:
            fields["url"] = [str(exc)]
    if "events" in data or sub.pk is None:
        events = data.get("events")
        if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
            fields["events"] = [_("Choose at least one event.")]
        elif unknown := [e for e in events if e not in EVENTS]:
            fields["events"] = [
                _("Unknown events: %(names)s. Choose from: %(known)s.")
                % {"names": ", ".join(unknown[:5])[:200], "known": ", ".join(EVENTS)}
            ]
        else:
            cleaned["events"] = [e for e in EVENTS if e in events]  # known order, no repeats
    if "description" in data:
        description = data["description"]
        if not isinstance(description, str) or len(description.strip()) > 200:
            fields["description"] = [_("Text of %(n)d characters at most.") % {"n": 200}]
        else:
            cleaned["description"] = description.strip()
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            fields["is_active"] = [_("true or false.")]
        else:
            cleaned["is_active"] = data["is_active"]
    unknown_fields = set(data) - {"url", "events", "description", "is_active"}
    if unknown_fields:
        fields["non_field_errors"] = [_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown_fields))[:200]}]
    if fields:
        raise ValidationFailed(_("Please correct the errors below."), fields=fields)
    return cleaned


def do_save_subscription(actor: User, data: Any, subscription_id: int | None = None) -> tuple[Subscription, str]:
    """Make (no id) or change a subscription: `{url, events, description?, is_active?}`. Returns it and,
    when it was made, its secret (shown this once)."""
    _admin(actor)
    data = json_object(data)
    sub = Subscription.objects.filter(pk=subscription_id).first() if subscription_id else Subscription()
    if sub is None:
        raise NotFound(_("No such webhook."))
    cleaned = _clean(data, sub)
    secret = ""
    with transaction.atomic():
        if sub.pk is None:
            if Subscription.objects.count() >= MAX_SUBSCRIPTIONS:
                raise ValidationFailed(_("A tenant may have %(n)d webhooks at most.") % {"n": MAX_SUBSCRIPTIONS})
            secret = signing.new_secret()
            sub.secret, sub.secret_hint = signing.seal(secret), secret[:10]
        for field, value in cleaned.items():
            setattr(sub, field, value)
        if cleaned.get("is_active") is True:  # turned on again: its failures are forgotten
            sub.disabled_reason, sub.failing_since = "", None
        sub.save()
        record_audit(actor, "webhooks.subscription_saved", sub, url=sub.url, events=sub.events, active=sub.is_active)
        transaction.on_commit(forget_wanted)
    return sub, secret


def do_rotate_secret(actor: User, subscription_id: int) -> tuple[Subscription, str]:
    """A new secret (returned, shown once); deliveries are signed with it from now on."""
    _admin(actor)
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        if sub is None:
            raise NotFound(_("No such webhook."))
        secret = signing.new_secret()
        sub.secret, sub.secret_hint = signing.seal(secret), secret[:10]
        sub.save(update_fields=["secret", "secret_hint"])
        record_audit(actor, "webhooks.secret_rotated", sub)
    return sub, secret


def do_delete_subscription(actor: User, subscription_id: int) -> None:
    _admin(actor)
    with transaction.atomic():
        sub = Subscription.objects.filter(pk=subscription_id).first()
        if sub is None:
            raise NotFound(_("No such webhook."))
        record_audit(actor, "webhooks.subscription_deleted", sub, url=sub.url)
        sub.delete()
        transaction.on_commit(forget_wanted)


# --- events become deliveries -------------------------------------------------------------------------------


def on_domain_event(event: str, payload: dict[str, Any]) -> list[int]:
    """The `domain_event` hook (after the change committed, inside its tenant): one delivery for each
    active subscription that wants `event`, each queued to be sent. Returns their ids."""
    name = event
    if name not in EVENTS or name not in wanted_events():
        return []
    subs = list(Subscription.objects.filter(is_active=True, events__contains=[name]))
    if not subs:
        return []
    data = payloads.build(name, payload)
    if data is None:
        return []
    event_id = uuid.uuid4()
    envelope = {"id": str(event_id), "type": name, "created_at": timezone.now().isoformat(), "data": data}
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    created = Delivery.objects.bulk_create(
        [Delivery(subscription=s, event=name, event_id=event_id, body=body) for s in subs]
    )
    ids = [d.pk for d in created]
    for pk in ids:
        deliver.delay(pk)
    return ids


def do_replay_delivery(actor: User, delivery_id: int) -> Delivery:
    """Send a delivery again, now, once (same body and X-CCaaS-Delivery, a fresh signature); the log
    shows it as a replay. Not while it is being sent or waits for a retry."""
    _admin(actor)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(_("No such delivery."))
        if delivery.status in (Delivery.Status.PENDING, Delivery.Status.SENDING):
            raise ValidationFailed(_("This delivery is being sent; wait for its result."))
        if delivery.status == Delivery.Status.RETRYING:
            from apps.core.tenancy import current_schema
            from apps.core.timers import clear_timer_on_commit

            clear_timer_on_commit(current_schema(), "webhook_retry", delivery.pk)
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        record_audit(actor, "webhooks.delivery_replayed", delivery, event=delivery.event)
        pk = delivery.pk
        transaction.on_commit(lambda: deliver.delay(pk, manual=True))
    return delivery
