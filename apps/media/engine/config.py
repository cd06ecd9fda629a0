"""Tunables of the media engine. Read from Django settings when set there, else the environment, else
defaults that suit a development machine."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from django.conf import settings

CALL_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
PARTIES = ("customer", "agent")
MAX_SDP_BYTES = 64 * 1024


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def lease_seconds() -> float:
    """A call's lease lives this long without renewal; a dead worker's calls are lost after it."""
    return float(_setting("MEDIA_CALL_LEASE_SECONDS", "5"))


def watchdog_seconds() -> float:
    return float(_setting("MEDIA_WATCHDOG_SECONDS", "1"))


def ice_servers() -> list[str]:
    """STUN/TURN URLs for the worker's own peers (comma separated). Empty: host candidates only."""
    return [url.strip() for url in _setting("MEDIA_ICE_SERVERS", "").split(",") if url.strip()]


def spool_dir() -> Path:
    """Where recordings are written while a call runs. One folder per database + Redis, so several
    deployments (or parallel test runs) on one machine never recover each other's leftovers."""
    base = Path(_setting("MEDIA_SPOOL_DIR", str(Path(settings.BASE_DIR) / ".data" / "media-spool")))
    db = settings.DATABASES["default"]
    identity = f"{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}|{settings.REDIS_URL}"
    path = base / hashlib.sha1(identity.encode()).hexdigest()[:12]  # noqa: S324 - a folder name, not security
    path.mkdir(parents=True, exist_ok=True)
    return path
