from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .permissions import can_manage_billing
from .selectors import account_for_tenant, banner_for, grace_ends_at


def billing(request: HttpRequest) -> dict[str, Any]:
    """The past-due / suspended banner, for the owner and admins of the tenant being served."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public" or not can_manage_billing(getattr(request, "user", None)):
        return {}
    account = account_for_tenant(tenant)
    banner = banner_for(account)
    if banner is None or account is None:
        return {}
    return {"billing_banner": banner, "billing_grace_ends_at": grace_ends_at(account)}
