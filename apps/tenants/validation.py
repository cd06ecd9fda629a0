"""Validation of sign-up input, shared by the page and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.validation import FieldErrors

from .models import Tenant

SUBDOMAIN_MAX_LENGTH = 40  # the schema name adds a prefix and PostgreSQL allows 63 characters
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


@dataclass(frozen=True)
class SignupInput:
    company_name: str
    subdomain: str
    email: str
    password: str


def schema_name_for(subdomain: str) -> str:
    # Subdomains are DNS labels (no underscores), so this mapping is one-to-one.
    return "t_" + subdomain.replace("-", "_")


def subdomain_errors(subdomain: str) -> list[str]:
    if not subdomain:
        return [_("Choose a subdomain.")]
    if len(subdomain) > SUBDOMAIN_MAX_LENGTH:
        return [_("Use at most %(n)d characters.") % {"n": SUBDOMAIN_MAX_LENGTH}]
    if not _DNS_LABEL.match(subdomain):
        return [_("Use lowercase letters, digits and hyphens, starting and ending with a letter or digit.")]
    if subdomain in settings.RESERVED_SUBDOMAINS:
        return [_("This subdomain is reserved.")]
    if (
        Tenant.objects.filter(subdomain=subdomain).exists()
        or Tenant.objects.filter(schema_name=schema_name_for(subdomain)).exists()
    ):
        return [_("This subdomain is already taken.")]
    return []


def check_signup(data: Any) -> SignupInput:
    """Return clean sign-up input or raise ValidationFailed with every field's errors."""
    check = FieldErrors(data)
    company_name = check.text("company_name", 120).strip()
    subdomain = check.text("subdomain", 200).strip().lower()
    email = check.text("email", 254).strip().lower()
    password = check.text("password", 256)
    if not company_name and check.ok("company_name"):
        check.add("company_name", _("Enter your company's name."))
    if check.ok("subdomain"):
        for error in subdomain_errors(subdomain):
            check.add("subdomain", error)
    check.email("email", email)
    check.password("password", password)
    check.raise_if_any()
    return SignupInput(company_name=company_name, subdomain=subdomain, email=email, password=password)
