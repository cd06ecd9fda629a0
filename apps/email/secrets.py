"""Email's secrets (an IMAP or SMTP password, a provider's signing key, a webhook's secret), sealed by
apps.core.sealing under the purpose "email"."""

from __future__ import annotations

from apps.core.sealing import seal as _seal
from apps.core.sealing import unseal as _unseal

PURPOSE = "email"


def seal(plain: str) -> str:
    return _seal(plain, PURPOSE)


def unseal(sealed: str) -> str:
    """The secret, or "" when there is none or it cannot be read (SECRET_KEY changed)."""
    return _unseal(sealed, PURPOSE)
