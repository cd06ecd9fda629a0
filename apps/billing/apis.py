"""The tenant's billing API: one view per operation. Owner and admins only."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import NotFound

from . import gateway, selectors
from .actions import (
    do_cancel_at_period_end,
    do_change_seats,
    do_prepare_card_setup,
    do_resume,
    do_subscribe,
    ensure_account,
)
from .models import BillingAccount, Plan
from .permissions import IsBillingManager


def _account(request: Request) -> BillingAccount:
    return ensure_account(request.tenant)  # type: ignore[attr-defined]


class BillingAccountOutputSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="'stripe', or 'free' when billing is not configured")
    plan = serializers.CharField(source="plan.code")
    plan_name = serializers.CharField(source="plan.name")
    status = serializers.CharField()
    tenant_status = serializers.CharField(source="tenant.status")
    seats = serializers.IntegerField()
    seats_in_use = serializers.IntegerField()
    trial_ends_at = serializers.DateTimeField(allow_null=True)
    trial_days_left = serializers.IntegerField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    past_due_since = serializers.DateTimeField(allow_null=True)


def _account_data(account: BillingAccount) -> dict[str, Any]:
    row = {
        "mode": "stripe" if gateway.billing_enabled() else "free",
        "plan": account.plan,
        "status": account.status,
        "tenant": account.tenant,
        "seats": account.seats,
        "seats_in_use": selectors.seats_in_use(),
        "trial_ends_at": account.trial_ends_at,
        "trial_days_left": selectors.trial_days_left(account),
        "current_period_end": account.current_period_end,
        "cancel_at_period_end": account.cancel_at_period_end,
        "past_due_since": account.past_due_since,
    }
    return dict(BillingAccountOutputSerializer(row).data)


class BillingAccountApi(APIView):
    """The tenant's plan, seats and subscription status."""

    permission_classes = [IsBillingManager]

    class BillingAccountGetOutputSerializer(BillingAccountOutputSerializer):
        pass

    @extend_schema(responses={200: BillingAccountGetOutputSerializer})
    def get(self, request: Request) -> Response:
        account = _account(request)
        return Response(_account_data(account))


class CardSetupApi(APIView):
    """Open a Stripe SetupIntent; confirm it with Stripe.js, then subscribe with its id."""

    permission_classes = [IsBillingManager]

    class CardSetupOutputSerializer(serializers.Serializer):
        setup_intent = serializers.CharField()
        client_secret = serializers.CharField()
        publishable_key = serializers.CharField()
        js_url = serializers.CharField()

    @extend_schema(request=None, responses={201: CardSetupOutputSerializer})
    def post(self, request: Request) -> Response:
        setup = do_prepare_card_setup(_account(request), cast(User, request.user))
        return Response(
            {
                "setup_intent": setup.setup_intent_id,
                "client_secret": setup.client_secret,
                "publishable_key": setup.publishable_key,
                "js_url": setup.js_url,
            },
            status=status.HTTP_201_CREATED,
        )


class SubscribeApi(APIView):
    """Subscribe with a confirmed card: quantity = seats; the trial's days left carry over."""

    permission_classes = [IsBillingManager]

    class SubscribeInputSerializer(serializers.Serializer):
        plan = serializers.SlugField()
        seats = serializers.IntegerField(min_value=1)
        setup_intent = serializers.CharField(max_length=255)

    class SubscribeOutputSerializer(BillingAccountOutputSerializer):
        pass

    @extend_schema(request=SubscribeInputSerializer, responses={201: SubscribeOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.SubscribeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = Plan.objects.filter(code=data.validated_data["plan"], is_active=True).first()
        if plan is None:
            raise NotFound("No such plan.")
        account = do_subscribe(
            _account(request),
            plan=plan,
            seats=data.validated_data["seats"],
            setup_intent_id=data.validated_data["setup_intent"],
            actor=cast(User, request.user),
        )
        return Response(_account_data(account), status=status.HTTP_201_CREATED)


class ChangeSeatsApi(APIView):
    """Set the number of paid seats (idempotent: the same number twice changes nothing)."""

    permission_classes = [IsBillingManager]

    class ChangeSeatsInputSerializer(serializers.Serializer):
        seats = serializers.IntegerField(min_value=1)

    class ChangeSeatsOutputSerializer(serializers.Serializer):
        from_seats = serializers.IntegerField()
        to_seats = serializers.IntegerField()
        invoice = serializers.CharField(allow_null=True)
        payment_failed = serializers.BooleanField()

    @extend_schema(request=ChangeSeatsInputSerializer, responses={200: ChangeSeatsOutputSerializer})
    def put(self, request: Request) -> Response:
        data = self.ChangeSeatsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = do_change_seats(_account(request), seats=data.validated_data["seats"], actor=cast(User, request.user))
        return Response(
            {
                "from_seats": result.from_seats,
                "to_seats": result.to_seats,
                "invoice": (result.invoice or {}).get("id"),
                "payment_failed": result.payment_failed,
            }
        )


class CancelSubscriptionApi(APIView):
    """Cancel at the end of the paid period."""

    permission_classes = [IsBillingManager]

    class CancelSubscriptionOutputSerializer(BillingAccountOutputSerializer):
        pass

    @extend_schema(request=None, responses={200: CancelSubscriptionOutputSerializer})
    def post(self, request: Request) -> Response:
        return Response(_account_data(do_cancel_at_period_end(_account(request), cast(User, request.user))))


class ResumeSubscriptionApi(APIView):
    """Undo a cancellation before the period ends."""

    permission_classes = [IsBillingManager]

    class ResumeSubscriptionOutputSerializer(BillingAccountOutputSerializer):
        pass

    @extend_schema(request=None, responses={200: ResumeSubscriptionOutputSerializer})
    def post(self, request: Request) -> Response:
        return Response(_account_data(do_resume(_account(request), cast(User, request.user))))


class InvoicesApi(APIView):
    """Invoices (newest first) and the upcoming one, with links to Stripe's hosted pages."""

    permission_classes = [IsBillingManager]

    class InvoiceOutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        number = serializers.CharField()
        status = serializers.CharField()
        amount_due = serializers.FloatField()
        amount_paid = serializers.FloatField()
        currency = serializers.CharField()
        created = serializers.DateTimeField(allow_null=True)
        hosted_invoice_url = serializers.CharField()
        invoice_pdf = serializers.CharField()

    class InvoicesOutputSerializer(serializers.Serializer):
        invoices = serializers.ListField(child=serializers.DictField())
        upcoming = serializers.DictField(allow_null=True)

    @extend_schema(responses={200: InvoicesOutputSerializer})
    def get(self, request: Request) -> Response:
        account = _account(request)
        fields = list(self.InvoiceOutputSerializer().fields)
        upcoming = selectors.upcoming_invoice(account)
        return Response(
            {
                "invoices": [self.InvoiceOutputSerializer(i).data for i in selectors.invoices(account)],
                "upcoming": {k: upcoming[k] for k in fields} if upcoming else None,
            }
        )
