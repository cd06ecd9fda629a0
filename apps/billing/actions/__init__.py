"""Writes of billing. Each `do_*` is atomic, holds the billing account's row lock while it works and
records an audit row. Stripe is called inside that transaction: if Stripe refuses, nothing is
written here; if our commit failed after Stripe accepted, the next sync (webhook, or the dunning
task's re-fetch) brings the mirror back in line, because every sync re-reads Stripe's state."""

from __future__ import annotations

from .mirror import (
    _apply_subscription,
    _effective_status,
    _item,
    _restore,
    _suspend,
    do_enforce_dunning,
    do_sync_subscription,
)
from .subscriptions import (
    CardSetup,
    SeatChangeResult,
    _check_seat_count,
    _confirmed_payment_method,
    _ensure_customer,
    _set_cancel_at_period_end,
    check_seat_available,
    default_plan,
    do_cancel_at_period_end,
    do_change_seats,
    do_pay_open_invoices,
    do_prepare_card_setup,
    do_resume,
    do_subscribe,
    do_update_payment_method,
    ensure_account,
    ensure_stripe_price,
    start_trial,
)

__all__ = [
    "CardSetup",
    "SeatChangeResult",
    "_apply_subscription",
    "_check_seat_count",
    "_confirmed_payment_method",
    "_effective_status",
    "_ensure_customer",
    "_item",
    "_restore",
    "_set_cancel_at_period_end",
    "_suspend",
    "check_seat_available",
    "default_plan",
    "do_cancel_at_period_end",
    "do_change_seats",
    "do_enforce_dunning",
    "do_pay_open_invoices",
    "do_prepare_card_setup",
    "do_resume",
    "do_subscribe",
    "do_sync_subscription",
    "do_update_payment_method",
    "ensure_account",
    "ensure_stripe_price",
    "start_trial",
]
