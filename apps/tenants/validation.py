"""Validation of sign-up input, shared by the page and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

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
    if not isinstance(data, dict):
        raise ValidationFailed(_("Send a JSON object."))
    fields: dict[str, list[str]] = {}

    def text(name: str, max_length: int) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            fields[name] = [_("Must be a string.")]
            return ""
        if len(value) > max_length:
            fields[name] = [_("Use at most %(n)d characters.") % {"n": max_length}]
        return value

    company_name = text("company_name", 120).strip()
    subdomain = text("subdomain", 200).strip().lower()
    email = text("email", 254).strip().lower()
    password = text("password", 256)

    if not company_name and "company_name" not in fields:
        fields["company_name"] = [_("Enter your company's name.")]
    if "subdomain" not in fields:
        errors = subdomain_errors(subdomain)
        if errors:
            fields["subdomain"] = errors
    if "email" not in fields:
        try:
            validate_email(email)
        except ValidationError:
            fields["email"] = [_("Enter a valid email address.")]
    if "password" not in fields:
        if not password:
            fields["password"] = [_("Choose a password.")]
        else:
            try:
                validate_password(password)
            except ValidationError as exc:
                fields["password"] = [str(m) for m in exc.messages]
    if fields:
        raise ValidationFailed(_("Please correct the errors below."), fields=fields)
    return SignupInput(company_name=company_name, subdomain=subdomain, email=email, password=password)
