"""WebSocket tenant resolution. django-tenants has no ASGI middleware (its issues #767, #931, #820),
so this one resolves the Host header to a tenant, refuses unknown hosts, and loads the session user
from *that tenant's* schema."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_tenants.utils import schema_context

from apps.core.asgi import scope_header

from .selectors import tenant_for_host


def _cookie(scope: dict[str, Any], name: str) -> str | None:
    from http.cookies import SimpleCookie

    raw = scope_header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _resolve(host: str, session_key: str | None) -> tuple[Any, Any]:
    tenant = tenant_for_host(host)
    if tenant is None:
        return None, AnonymousUser()
    if not session_key:
        return tenant, AnonymousUser()
    with schema_context(tenant.schema_name):
        engine = import_module(settings.SESSION_ENGINE)
        request = HttpRequest()
        request.session = engine.SessionStore(session_key)
        user = auth.get_user(request)
        if user.is_authenticated:
            _ = user.pk  # load it here, inside the tenant's schema
        return tenant, user


class TenantWebSocketMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        from apps.core import adb

        adb.warm()
        host = scope_header(scope, b"host")
        session_key = _cookie(scope, settings.SESSION_COOKIE_NAME)
        tenant, user = await database_sync_to_async(_resolve)(host, session_key)
        if tenant is None:
            # Refuse the handshake: the client sees HTTP 403 and no consumer runs.
            return await WebsocketDenier.as_asgi()(scope, receive, send)
        # The session key lets a consumer re-check later that the session still holds (signed out?).
        scope = dict(scope, tenant=tenant, schema_name=tenant.schema_name, user=user, session_key=session_key)
        return await self.inner(scope, receive, send)
