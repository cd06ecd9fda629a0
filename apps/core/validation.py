"""Checking a JSON object field by field, collecting every error before answering."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .errors import ValidationFailed


class FieldErrors:
    """Reads fields of `data` and collects errors per field; `raise_if_any` answers all at once."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValidationFailed(_("Send a JSON object."))
        self.data = data
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def ok(self, name: str) -> bool:
        return name not in self.fields

    def text(self, name: str, max_length: int) -> str:
        value = self.data.get(name, "")
        if not isinstance(value, str):
            self.add(name, _("Must be a string."))
            return ""
        if len(value) > max_length:
            self.add(name, _("Use at most %(n)d characters.") % {"n": max_length})
        return value

    def email(self, name: str, value: str) -> None:
        if self.ok(name):
            try:
                validate_email(value)
            except ValidationError:
                self.add(name, _("Enter a valid email address."))

    def password(self, name: str, value: str, user: Any = None) -> None:
        if not self.ok(name):
            return
        if not value:
            self.add(name, _("Choose a password."))
            return
        try:
            validate_password(value, user)
        except ValidationError as exc:
            self.fields[name] = [str(m) for m in exc.messages]

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(_("Please correct the errors below."), fields=self.fields)


def whole_number(value: Any, digits: int = 9) -> int | None:
    """`value` as a whole number when it is one written in ASCII digits (at most `digits` of them), else
    None. `str.isdigit` is not enough: "²" is a digit to it and not to `int`."""
    import re

    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None


def json_object(data: Any) -> dict[str, Any]:
    """A request body that must be a JSON object (the same answer as `FieldErrors` when it is not)."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("Send a JSON object."))
    return data
