"""Who the customer is, as the business says it: a JWT (HS256) signed on the business's server
with the widget secret. Claims: sub (its customer id), name, email, phone, attributes, context
(cart, order, page...), exp (required). A tampered or expired token is refused and the chat goes
on as an anonymous visitor.

And who the visitor is, as we say it: a token we sign, kept in the widget's storage, so a reload
resumes the same thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
from django.core import signing

VISITOR_SALT = "widget.visitor"
MAX_TOKEN_CHARS = 8192


@dataclass
class VerifiedIdentity:
    customer_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


class IdentityRefused(Exception):
    pass


def verify_identity(token: str, secret: str) -> VerifiedIdentity:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise IdentityRefused("missing or oversized token")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}, leeway=30)
    except jwt.ExpiredSignatureError as exc:
        raise IdentityRefused("expired") from exc
    except jwt.InvalidTokenError as exc:
        raise IdentityRefused(f"invalid: {exc}") from exc
    attributes = claims.get("attributes") if isinstance(claims.get("attributes"), dict) else {}
    context = claims.get("context") if isinstance(claims.get("context"), dict) else {}
    return VerifiedIdentity(
        customer_id=str(claims["sub"])[:200],
        name=str(claims.get("name", ""))[:150],
        email=str(claims.get("email", ""))[:254],
        phone=str(claims.get("phone", ""))[:20],
        attributes=attributes,
        context=context,
    )


def sign_identity(secret: str, claims: dict[str, Any]) -> str:
    """What a business's server does (used by the demo page and the tests)."""
    return jwt.encode(claims, secret, algorithm="HS256")


def visitor_token(schema: str, key_id: int, contact_id: int, visitor_id: str) -> str:
    return signing.dumps({"s": schema, "k": key_id, "c": contact_id, "v": visitor_id}, salt=VISITOR_SALT)


def read_visitor_token(token: Any, schema: str, key_id: int) -> dict[str, Any] | None:
    if not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_SALT, max_age=60 * 60 * 24 * 90)
    except signing.BadSignature:
        return None
    if data.get("s") != schema or data.get("k") != key_id:
        return None
    return dict(data)
