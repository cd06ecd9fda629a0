from typing import Any

from django.http import HttpRequest

from .tenancy import current_schema


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    return {
        "current_tenant": None if is_public else tenant,
        "is_public_site": is_public,
        "schema_name": current_schema(),
    }
