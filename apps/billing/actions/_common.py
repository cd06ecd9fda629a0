"""Shared pieces of the billing actions: status mapping, audit rows, row locks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from apps.accounts.models import User

from ..models import AuditEntry, BillingAccount

logger = logging.getLogger(__name__)

Status = BillingAccount.Status
Reason = BillingAccount.SuspensionReason

# Stripe's subscription statuses, as the account's status.
STATUS_FROM_STRIPE = {
    "trialing": Status.TRIALING,
    "active": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "unpaid": Status.PAST_DUE,
    "paused": Status.PAST_DUE,
    "incomplete": Status.INCOMPLETE,
    "incomplete_expired": Status.CANCELED,
    "canceled": Status.CANCELED,
}
MAX_SEATS = 10_000


def _who(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_email": "", "actor_user_id": None}
    return {"actor_email": actor.email, "actor_user_id": actor.pk}


def _audit(account: BillingAccount, action: str, actor: User | None = None, **data: Any) -> None:
    AuditEntry.objects.create(account=account, action=action, data=data, **_who(actor))


def _lock(account_id: int) -> BillingAccount:
    # of=("self",): lock the account only, not the plan or tenant rows every other tenant shares.
    return BillingAccount.objects.select_for_update(of=("self",)).select_related("plan", "tenant").get(pk=account_id)


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None
