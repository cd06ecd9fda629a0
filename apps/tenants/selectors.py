from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from .models import Tenant


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """The absolute URL of a path on the tenant's host."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{tenant.subdomain}.{settings.BASE_DOMAIN}{port}{path}"


def public_url(path: str = "/") -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{settings.BASE_DOMAIN}{port}{path}"


def customer_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.exclude(schema_name="public").filter(is_template=False)


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant a Host header leads to (port ignored), or None."""
    hostname = host.split(":")[0].lower().rstrip(".")
    return Tenant.objects.filter(domains__domain=hostname, is_template=False).exclude(schema_name="public").first()


def customer_schemas() -> list[str]:
    """The schemas of every business, for platform-wide background work (a row whose schema is gone,
    mid-deletion, is skipped)."""
    from django_tenants.utils import schema_exists

    return [s for s in customer_tenants().values_list("schema_name", flat=True) if schema_exists(s)]
