"""The tenant's mail addresses: `<mailbox>@<subdomain>.<INBOUND_EMAIL_DOMAIN>`, and each conversation's
own reply address, `reply+<interaction>-<signature>@...`, signed so a guessed number threads nothing."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import connection


def domain_of(subdomain: str) -> str:
    return f"{subdomain}.{settings.INBOUND_EMAIL_DOMAIN}".lower()


def tenant_domain() -> str:
    """The current tenant's mail domain."""
    from apps.tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    subdomain = getattr(tenant, "subdomain", None)
    if not subdomain:
        schema = str(getattr(connection, "schema_name", "public"))
        subdomain = Tenant.objects.filter(schema_name=schema).values_list("subdomain", flat=True).first() or schema
    return domain_of(str(subdomain))


def is_ours(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    base = settings.INBOUND_EMAIL_DOMAIN.lower()
    return domain == base or domain.endswith("." + base)


def subdomain_of(address: str) -> str | None:
    """The tenant's subdomain an address is for, or None (not one of ours)."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    suffix = "." + settings.INBOUND_EMAIL_DOMAIN.lower()
    if not domain.endswith(suffix):
        return None
    sub = domain[: -len(suffix)]
    return sub if sub and "." not in sub else None


def _signature(schema: str, interaction_id: int) -> str:
    key = str(settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"email-reply:{schema}:{interaction_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:12]


def reply_address(interaction_id: int) -> str:
    schema = str(getattr(connection, "schema_name", "public"))
    return f"reply+{interaction_id}-{_signature(schema, interaction_id)}@{tenant_domain()}"


def interaction_of_reply_address(local_part: str) -> int | None:
    """The conversation a `reply+...` local part names, when its signature is right."""
    if not local_part.lower().startswith("reply+"):
        return None
    number, _dash, signature = local_part[6:].partition("-")
    if not number.isascii() or not number.isdigit() or len(number) > 12:
        return None
    schema = str(getattr(connection, "schema_name", "public"))
    return int(number) if hmac.compare_digest(signature.lower(), _signature(schema, int(number))) else None
