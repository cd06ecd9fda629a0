"""Billing refusals, each with a stable code."""

from __future__ import annotations

from typing import Any

from apps.core.errors import ApplicationError


class BillingError(ApplicationError):
    code = "billing_error"


class SeatLimitReached(BillingError):
    """Activating one more seat-taking user would exceed the seats paid for."""

    code = "seat_limit_reached"
    status = 409

    def __init__(self, message: str, *, add_seats_url: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.add_seats_url = add_seats_url

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "add_seats_url": self.add_seats_url}


class SeatsInUse(BillingError):
    """Fewer seats than active seat-taking users: name who must be deactivated first."""

    code = "seats_in_use"
    status = 409

    def __init__(self, message: str, *, deactivate: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.deactivate = deactivate

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "deactivate": self.deactivate}


class BillingNotConfigured(BillingError):
    code = "billing_not_configured"
    status = 409


class NoSubscription(BillingError):
    code = "no_subscription"
    status = 409


class AlreadySubscribed(BillingError):
    code = "already_subscribed"
    status = 409


class CardDeclined(BillingError):
    code = "card_declined"
    status = 402


class PaymentProviderError(BillingError):
    """Stripe could not be reached or refused the request for a reason that is not the customer's."""

    code = "payment_provider_error"
    status = 502
