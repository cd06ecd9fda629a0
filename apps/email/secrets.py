"""Secrets the tenant gives us (an IMAP or SMTP password), kept encrypted with a key derived from
SECRET_KEY (Fernet: AES with an HMAC). Changing SECRET_KEY makes them unreadable: the settings page then
says the connection fails and asks for the password again."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = hashlib.sha256(b"ccaas.email.secrets:" + str(settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def unseal(sealed: str) -> str:
    """The secret, or "" when it cannot be read (no secret, or SECRET_KEY changed)."""
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""
