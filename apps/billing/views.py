"""Pages: the tenant's billing page and its forms, the Stripe webhook, the platform admin's list."""

from __future__ import annotations

import logging
from typing import Any, cast

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import User
from apps.core.errors import ApplicationError

from . import gateway, selectors
from .actions import (
    do_cancel_at_period_end,
    do_change_seats,
    do_pay_open_invoices,
    do_prepare_card_setup,
    do_resume,
    do_subscribe,
    do_update_payment_method,
    ensure_account,
)
from .models import BillingAccount, Plan
from .permissions import billing_manager_required
from .webhooks import process_event

logger = logging.getLogger(__name__)


def _account(request: HttpRequest) -> BillingAccount:
    return ensure_account(request.tenant)  # type: ignore[attr-defined]


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def _error_response(request: HttpRequest, exc: ApplicationError, back: str) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect(back)


@billing_manager_required
def overview(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    context: dict[str, Any] = {
        "account": account,
        "enabled": gateway.billing_enabled(),
        "plans": selectors.active_plans(),
        "seats_in_use": selectors.seats_in_use(),
        "trial_days_left": selectors.trial_days_left(account),
        "grace_ends_at": selectors.grace_ends_at(account),
        "seat_history": selectors.seat_history(account),
        "invoices": [],
        "upcoming": None,
        "provider_error": "",
    }
    if context["enabled"]:
        try:
            context["invoices"] = selectors.invoices(account)
            context["upcoming"] = selectors.upcoming_invoice(account)
        except ApplicationError as exc:
            context["provider_error"] = exc.message
    return render(request, "billing/overview.html", context)


@billing_manager_required
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    back = reverse("billing-subscribe")
    if not gateway.billing_enabled():
        messages.info(request, _("Billing is in free development mode: there is nothing to pay."))
        return redirect("billing-overview")
    if account.has_subscription:
        return redirect("billing-overview")
    user = cast(User, request.user)
    if request.method == "POST":
        plan = Plan.objects.filter(code=request.POST.get("plan", ""), is_active=True).first()
        if plan is None:
            messages.error(request, _("Choose a plan."))
            return redirect(back)
        try:
            do_subscribe(
                account,
                plan=plan,
                seats=_int(request.POST.get("seats")),
                setup_intent_id=request.POST.get("setup_intent", ""),
                actor=user,
            )
        except ApplicationError as exc:
            return _error_response(request, exc, back)
        messages.success(request, _("You are subscribed. Thank you!"))
        return redirect("billing-overview")
    try:
        setup = do_prepare_card_setup(account, user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing-overview")
    return render(
        request,
        "billing/card.html",
        {
            "mode": "subscribe",
            "account": account,
            "setup": setup,
            "plans": selectors.active_plans(),
            "seats": max(selectors.seats_in_use(), 1),
            "trial_days_left": selectors.trial_days_left(account),
        },
    )


@billing_manager_required
@require_http_methods(["GET", "POST"])
def payment_method(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    user = cast(User, request.user)
    if request.method == "POST":
        try:
            do_update_payment_method(account, setup_intent_id=request.POST.get("setup_intent", ""), actor=user)
        except ApplicationError as exc:
            return _error_response(request, exc, reverse("billing-payment-method"))
        messages.success(request, _("Your card was updated."))
        return redirect("billing-overview")
    try:
        setup = do_prepare_card_setup(account, user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing-overview")
    return render(request, "billing/card.html", {"mode": "update", "account": account, "setup": setup})


@billing_manager_required
@require_POST
def change_seats(request: HttpRequest) -> HttpResponse:
    try:
        result = do_change_seats(
            _account(request), seats=_int(request.POST.get("seats")), actor=cast(User, request.user)
        )
    except ApplicationError as exc:
        return _error_response(request, exc, reverse("billing-overview") + "#seats")
    if result.from_seats == result.to_seats:
        messages.info(request, _("You already have %(n)d seats.") % {"n": result.to_seats})
    else:
        messages.success(
            request, _("Seats changed from %(a)d to %(b)d.") % {"a": result.from_seats, "b": result.to_seats}
        )
    if result.payment_failed:
        messages.warning(request, _("The charge for the new seats failed. Please update your card."))
    return redirect(reverse("billing-overview") + "#seats")


@billing_manager_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    try:
        account = do_cancel_at_period_end(_account(request), cast(User, request.user))
    except ApplicationError as exc:
        return _error_response(request, exc, reverse("billing-overview"))
    when = account.current_period_end.date().isoformat() if account.current_period_end else ""
    messages.success(request, _("Your subscription will end on %(date)s.") % {"date": when})
    return redirect("billing-overview")


@billing_manager_required
@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    try:
        do_resume(_account(request), cast(User, request.user))
    except ApplicationError as exc:
        return _error_response(request, exc, reverse("billing-overview"))
    messages.success(request, _("Your subscription continues."))
    return redirect("billing-overview")


@billing_manager_required
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    try:
        do_pay_open_invoices(_account(request), cast(User, request.user))
    except ApplicationError as exc:
        return _error_response(request, exc, reverse("billing-overview"))
    messages.success(request, _("Thank you: your invoices are paid."))
    return redirect("billing-overview")


# --- public host ------------------------------------------------------------------------------------


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook endpoint. Verifies `Stripe-Signature` against the raw body before anything."""
    if not gateway.billing_enabled() or not settings.STRIPE_WEBHOOK_SECRET:
        return _json_error("billing_not_configured", _("Billing is not configured."), 503)
    try:
        event = gateway.construct_event(request.body, request.headers.get("Stripe-Signature"))
    except stripe.SignatureVerificationError as exc:
        logger.warning("Rejected a Stripe webhook: %s", exc)
        return _json_error("bad_signature", _("The Stripe-Signature header does not match the body."), 400)
    except (ValueError, TypeError, AttributeError, KeyError):
        return _json_error("malformed", _("The body is not a Stripe event."), 400)
    data = event.to_dict() if hasattr(event, "to_dict") else event
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        return _json_error("malformed", _("The body is not a Stripe event."), 400)
    try:
        outcome = process_event(data)
    except Exception:
        return _json_error("handler_failed", _("The event could not be processed; it will be retried."), 500)
    return JsonResponse({"received": True, "outcome": outcome})


@staff_member_required
def platform_tenants(request: HttpRequest) -> HttpResponse:
    """Every tenant with its plan, seats, status and MRR (platform staff only)."""
    page = Paginator(selectors.platform_accounts(), 50).get_page(request.GET.get("page"))
    rows = []
    for tenant in page:
        account = getattr(tenant, "billing_account", None)
        rows.append(
            {
                "tenant": tenant,
                "account": account,
                "seats_in_use": selectors.seats_in_use_for(tenant),
                "mrr": (account.mrr_cents / 100) if account else 0,
            }
        )
    return render(
        request,
        "billing/platform_tenants.html",
        {
            "page": page,
            "rows": rows,
            "total_mrr": selectors.total_mrr_cents() / 100,
            "enabled": gateway.billing_enabled(),
        },
    )
