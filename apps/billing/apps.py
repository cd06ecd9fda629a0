from typing import Any

from django.apps import AppConfig


def check_seats(role: str, adding: int) -> None:
    """accounts' `seats_check` hook: a seat-taking role needs a free seat (raises SeatLimitReached)."""
    from .actions import check_seat_available
    from .selectors import takes_seat

    if takes_seat(role):
        check_seat_available(adding)


def start_trial(tenant: Any) -> None:
    """tenants' `tenant_created` hook: a new business starts on the trial."""
    from .actions import start_trial as start

    start(tenant)


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("seats_check", check_seats)
        register_hook("tenant_created", start_trial)
