"""Writes of the accounts app: one-time login hand-off from the public site to a tenant host, API
tokens."""

from __future__ import annotations

import secrets

from django.core import signing
from rest_framework.authtoken.models import Token

from apps.core.keys import redis_key
from apps.core.redis import get_redis

from .models import User

HANDOFF_SALT = "accounts.login-handoff"
HANDOFF_SECONDS = 120


def do_issue_login_handoff(schema_name: str, user: User) -> str:
    """A signed, single-use token that logs `user` in on their tenant's host (cookies cannot cross
    from the public site to the tenant's subdomain)."""
    nonce = secrets.token_urlsafe(16)
    get_redis().set(redis_key(schema_name, "handoff", nonce.replace("_", "-")), str(user.pk), ex=HANDOFF_SECONDS)
    return signing.dumps({"s": schema_name, "u": user.pk, "n": nonce}, salt=HANDOFF_SALT)


def do_redeem_login_handoff(schema_name: str, token: str) -> User | None:
    """The user the token names, once; None when it is forged, expired, used or for another tenant."""
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != schema_name:
        return None
    stored = get_redis().getdel(redis_key(schema_name, "handoff", str(data.get("n", "")).replace("_", "-")))
    if stored is None or stored != str(data.get("u")):
        return None
    return User.objects.filter(pk=data["u"], is_active=True).first()


def do_issue_api_token(user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return str(token.key)
