from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class TenantPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, bound to the tenant too: user ids repeat across tenants' schemas."""

    key_salt = "apps.accounts.TenantPasswordResetTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return current_schema() + ":" + super()._make_hash_value(user, timestamp)


password_reset_tokens = TenantPasswordResetTokenGenerator()


class TenantPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class TenantSetPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's form; the write is accounts' action (audit row, open desktops closed)."""

    def save(self, commit: bool = True) -> Any:
        from .actions import do_reset_password

        return do_reset_password(self.user, self.cleaned_data["new_password1"])
