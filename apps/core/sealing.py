"""Secrets a tenant gives us (a mailbox password, a webhook's signing secret, a messaging provider's
token) kept encrypted at rest: Fernet (AES with an HMAC) under a key derived from SECRET_KEY and the
secret's purpose, so one purpose's ciphertext is no use for another. Changing SECRET_KEY makes them
unreadable (`unseal` gives ""): the settings pages then ask for them again."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=16)
def _fernet(purpose: str, secret_key: str) -> Fernet:
    key = hashlib.sha256(f"ccaas.{purpose}.secrets:".encode() + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str, purpose: str) -> str:
    return _fernet(purpose, str(settings.SECRET_KEY)).encrypt(plain.encode()).decode() if plain else ""


def unseal(sealed: str, purpose: str) -> str:
    """The secret, or "" when there is none or it cannot be read (SECRET_KEY changed)."""
    if not sealed:
        return ""
    try:
        return _fernet(purpose, str(settings.SECRET_KEY)).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
