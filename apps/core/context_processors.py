from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .tenancy import current_schema


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    return {
        "current_tenant": None if is_public else tenant,
        "is_public_site": is_public,
        "schema_name": current_schema(),
    }


# The product's one navigation: (URL name, label, roles that may use it). A page that does not exist
# yet (its app has not landed) has no URL name and is left out, so the menu is always true.
NAV_ITEMS: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("dashboard", _("Home"), frozenset({"owner", "admin", "supervisor", "agent"})),
    ("desktop", _("Desktop"), frozenset({"owner", "admin", "supervisor", "agent"})),
    ("journey-contacts", _("Contacts"), frozenset({"owner", "admin", "supervisor", "agent"})),
    ("wallboard", _("Wallboard"), frozenset({"owner", "admin", "supervisor"})),
    ("reports", _("Reports"), frozenset({"owner", "admin", "supervisor"})),
    ("scorecard", _("Scorecard"), frozenset({"owner", "admin", "supervisor", "agent"})),
    ("quality", _("Quality"), frozenset({"owner", "admin", "supervisor", "agent"})),
    ("analytics", _("Analytics"), frozenset({"owner", "admin", "supervisor"})),
    ("kb", _("Knowledge base"), frozenset({"owner", "admin", "supervisor"})),
    ("wfm-my-schedule", _("My schedule"), frozenset({"agent"})),
    # Forecast, staffing, schedules and adherence, under one item (the pages' tabs).
    ("wfm", _("Workforce"), frozenset({"owner", "admin", "supervisor"})),
    ("settings", _("Settings"), frozenset({"owner", "admin", "supervisor"})),
    ("team", _("Team"), frozenset({"owner", "admin"})),
    ("billing-overview", _("Billing"), frozenset({"owner", "admin"})),
    ("api-docs", _("Developers"), frozenset({"owner", "admin"})),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu of a signed-in user of a tenant: what their role may use, the current page marked."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    if user is None or not user.is_authenticated or tenant is None or tenant.schema_name == "public":
        return {"nav_items": []}
    role = getattr(user, "role", "")
    items = []
    for name, label, roles in NAV_ITEMS:
        if role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"name": name, "label": label, "url": url, "current": current})
    return {"nav_items": items}
