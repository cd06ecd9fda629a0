from typing import Any

from django.db import connection
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    return {"current_tenant": None if is_public else tenant, "is_public_site": is_public,
            "schema_name": connection.schema_name}
