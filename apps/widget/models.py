"""Widget keys: what a business pastes into its pages (the public key) and signs identities with
(the secret)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# The greeting of a new key, in English; shown translated to each visitor until the business writes its own.
DEFAULT_GREETING = gettext_noop("Hi! How can we help?")


def new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def new_secret() -> str:
    return "sk_" + secrets.token_urlsafe(32)


class WidgetKey(models.Model):
    name = models.CharField(_("name"), max_length=100, default="Website")
    public_key = models.CharField(max_length=64, unique=True, default=new_public_key)
    secret = models.CharField(max_length=96, default=new_secret)
    # Pages allowed to embed the widget, e.g. "https://shop.example.com". Empty: none.
    allowed_origins = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    queue = models.ForeignKey("routing.Queue", on_delete=models.PROTECT, related_name="widget_keys")
    enabled = models.BooleanField(default=True)
    prechat_form = models.BooleanField(_("ask name and email first"), default=False)
    greeting = models.CharField(max_length=200, default=DEFAULT_GREETING)
    # The greeting in other languages, by language code ({"zh-hans": "..."}): a visitor whose browser
    # asks for one of them reads it; else `greeting` (the stock one in the visitor's language).
    greetings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the widget first said hello from an allowed page (the onboarding checklist ticks).
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        """`origin` as a browser sends it; the stored ones are normalised (widget.origins)."""
        from .origins import OriginInvalid, normalise_origin

        try:
            return normalise_origin(origin) in self.allowed_origins
        except OriginInvalid:
            return False

    def greeting_for(self, language: str | None) -> str:
        """The greeting a visitor reading `language` sees."""
        own = (self.greetings or {}).get((language or "").lower())
        if isinstance(own, str) and own.strip():
            return own
        if self.greeting == DEFAULT_GREETING:  # never changed: the stock greeting, translated
            return gettext(DEFAULT_GREETING)
        return self.greeting

    def as_config(self) -> dict[str, Any]:
        """What the widget's page needs, in the language of the current request."""
        return {"key": self.public_key, "greeting": self.greeting_for(get_language()), "prechat": self.prechat_form}
