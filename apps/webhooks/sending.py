"""The worker's writes: one attempt to send a delivery (claimed first, so two workers never send it at
once), logged, then delivered, retried later through core's timers, or failed for good, and the
subscription turned off when it has failed for too long (saying why)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit

from . import sender, signing
from .models import Attempt, Delivery, Subscription
from .targets import TargetRefused, resolve
from .wanted import forget_wanted

RESPONSE_KEEP = 2000  # characters of an answer kept in the log
STALE_CLAIM = timedelta(minutes=5)  # a delivery "sending" this long was left by a worker that died


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    ready = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    return bool(Delivery.objects.filter(ready, pk=delivery_id).update(status=Delivery.Status.SENDING, claimed_at=now))


def _send(delivery: Delivery, sub: Subscription, manual: bool) -> sender.Answer:
    if not sub.is_active and not manual:
        return sender.Answer(None, "", _("Not sent: the webhook is turned off."), 0)
    secret = signing.unseal(sub.secret)
    if not secret:
        return sender.Answer(None, "", _("Not sent: the secret can no longer be read; make a new secret."), 0)
    try:
        target = resolve(sub.url)
    except TargetRefused as exc:
        return sender.Answer(None, "", str(exc), 0)
    body = delivery.body.encode()
    headers = {
        "X-CCaaS-Event": delivery.event,
        "X-CCaaS-Delivery": str(delivery.uid),
        "X-CCaaS-Signature": signing.sign(secret, body),
    }
    return sender.post(target, body, headers)


def do_attempt(delivery_id: int, *, manual: bool = False) -> str:
    """Send a delivery once (the worker's part). Claimed first, so two workers never send it at once.
    Then: delivered, or retried later (WEBHOOK_RETRY_DELAYS; never after a replay), or failed for good,
    and the subscription turned off when it has failed for WEBHOOK_DISABLE_AFTER seconds."""
    if not _claim(delivery_id):
        return "skipped"
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    sub = delivery.subscription
    number = delivery.attempts + 1
    started = timezone.now()
    answer = _send(delivery, sub, manual)
    ok = answer.status is not None and 200 <= answer.status < 300
    error = answer.error or ("" if ok else _("The receiver answered %(code)s.") % {"code": answer.status})
    delays = [int(x) for x in settings.WEBHOOK_RETRY_DELAYS]
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            manual=manual,
            started_at=started,
            duration_ms=answer.duration_ms,
            status_code=answer.status,
            response_body=answer.body[:RESPONSE_KEEP],
            error=error[:500],
            succeeded=ok,
        )
        delivery.attempts = number
        delivery.next_attempt_at = None
        if ok:
            delivery.status = Delivery.Status.SUCCEEDED
            Subscription.objects.filter(pk=sub.pk).update(failing_since=None)
        else:
            Subscription.objects.filter(pk=sub.pk, failing_since=None).update(failing_since=started)
            retries_done = Attempt.objects.filter(delivery=delivery, manual=False).count() - 1
            if not manual and sub.is_active and retries_done < len(delays):
                delivery.status = Delivery.Status.RETRYING
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=delays[retries_done])
                _retry_on_commit(delivery.pk, delivery.next_attempt_at.timestamp())
            else:
                delivery.status = Delivery.Status.FAILED
                if not manual:
                    _maybe_turn_off(sub.pk, error)
        delivery.save(update_fields=["attempts", "status", "next_attempt_at"])
    return delivery.status


def _retry_on_commit(delivery_id: int, when: float) -> None:
    from apps.core.tenancy import current_schema
    from apps.core.timers import set_timer_on_commit

    set_timer_on_commit(current_schema(), "webhook_retry", delivery_id, when)


def _maybe_turn_off(subscription_id: int, last_error: str) -> None:
    """A delivery gave up: when the subscription has failed without a success for WEBHOOK_DISABLE_AFTER
    seconds, it is turned off and says why (an owner turns it on again)."""
    sub = Subscription.objects.select_for_update().get(pk=subscription_id)
    limit = timezone.now() - timedelta(seconds=float(settings.WEBHOOK_DISABLE_AFTER))
    if not sub.is_active or sub.failing_since is None or sub.failing_since > limit:
        return
    sub.is_active = False
    sub.disabled_reason = (
        _("Turned off: every delivery has failed since %(since)s. Last error: %(error)s")
        % {"since": formats.date_format(sub.failing_since, "DATETIME_FORMAT"), "error": last_error}
    )[:300]
    sub.save(update_fields=["is_active", "disabled_reason"])
    record_audit(None, "webhooks.subscription_turned_off", sub, reason=sub.disabled_reason)
    transaction.on_commit(forget_wanted)
