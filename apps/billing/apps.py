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


def team_page_context(tenant: Any) -> dict[str, Any]:
    """accounts' `team_page_context` hook: the seats shown on the team page."""
    from .actions import ensure_account
    from .gateway import billing_enabled
    from .selectors import SEAT_ROLES, add_seats_url, seats_in_use

    return {
        "account": ensure_account(tenant),
        "billing_enabled": billing_enabled(),
        "seats_in_use": seats_in_use(),
        "add_seats_url": add_seats_url(),
        "takes_seat_roles": [r.value for r in SEAT_ROLES],
    }


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("seats_check", check_seats)
        register_hook("tenant_created", start_trial)
        register_hook("team_page_context", team_page_context)
