"""The base of every socket of a signed-in user (the agent desktop, the wallboard): who they are comes
from the session (TenantWebSocketMiddleware), and what can change while the socket is open (the user
deactivated, their role changed, the session signed out) is re-checked when `auth.changed` arrives on
the user's group and when the web process's mirror of the user's auth version moves (`sessions`);
before every frame the socket compares its version with that mirror (no I/O)."""

from __future__ import annotations

from typing import Any

from apps.core.consumers import TenantConsumer, same_origin
from apps.core.events import tenant_group, user_group
from apps.core.tenancy import in_tenant

from .selectors import session_user
from .sessions import AUTH_CHANGED, aauth_version, auth_version_key, auth_watch

# Close codes the pages understand (static/js/desktop-socket.js, static/js/wallboard.js).
CLOSE_SIGNED_OUT = 4401  # not signed in (any more), or deactivated: the page goes to the sign-in page
CLOSE_FORBIDDEN = 4403  # opened from another site, or by a role that may not use it
CLOSE_ACCESS_CHANGED = 4409  # the user's role changed: the page reloads with what the new role may do


class SignedInConsumer(TenantConsumer):
    """A signed-in user's socket. `sign_in()` from `connect`; subclasses add their groups to
    `groups_joined` and override `leave_groups` for groups of their own."""

    revoked = False
    groups_joined: list[str]

    async def sign_in(self) -> bool:
        """Check the origin, the session and the user; join the tenant's and the user's groups. False
        (the socket refused with a close code) when they may not."""
        user = self.scope.get("user")
        # Refusals are sent after accepting, so the client reads a reason code, not a bare HTTP 403.
        if not same_origin(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)  # a cookie-authenticated socket opened from another site
            return False
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)  # the page should send the person to the sign-in page
            return False
        self.user = user
        self.session_key = self.scope.get("session_key")
        # The version first, then the session and user again: a change committed after the middleware
        # loaded the user is either seen here or bumps the version after this read.
        self.auth_key = auth_version_key(self.schema_name, user.pk)
        self.auth_version = await auth_watch().watch(self.auth_key, id(self), self.reauthorise)
        fresh = await in_tenant(self.schema_name, session_user, self.session_key)
        if fresh is None or fresh.pk != user.pk:
            auth_watch().unwatch(self.auth_key, id(self))
            await self.refuse(CLOSE_SIGNED_OUT)
            return False
        self.user = fresh
        self.groups_joined = [tenant_group(self.schema_name), user_group(self.schema_name, user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        return True

    def signed_in(self) -> bool:
        return hasattr(self, "auth_key") and hasattr(self, "groups_joined")

    async def leave_groups(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def sign_out(self) -> None:
        """From `disconnect`: stop following the user's auth version, leave every group."""
        if hasattr(self, "auth_key"):
            auth_watch().unwatch(self.auth_key, id(self))
        await self.leave_groups()

    def may_stay(self, user: Any) -> int | None:
        """A close code when the (re-read) user may no longer use this socket; None when they may."""
        if user.role != self.user.role:
            return CLOSE_ACCESS_CHANGED
        return None

    async def reauthorise(self) -> bool:
        """Check the session and the user again (the database decides). False when the socket was
        closed: signed out or deactivated (4401), or the role changed (4409: the page reloads and
        connects again as the new role)."""
        if self.revoked:
            return False
        version = await aauth_version(self.auth_key)
        auth_watch().seen(self.auth_key, version)
        user = await in_tenant(self.schema_name, session_user, self.session_key)
        if user is None or user.pk != self.user.pk:
            await self.revoke(CLOSE_SIGNED_OUT)
            return False
        code = self.may_stay(user)
        if code is not None:
            await self.revoke(code)
            return False
        self.user, self.auth_version = user, version
        return True

    async def revoke(self, code: int) -> None:
        """Stop hearing anything at once (leave every group), then close."""
        if self.revoked:
            return
        self.revoked = True
        await self.leave_groups()
        await self.close(code=code)

    async def still_authorised(self) -> bool:
        """A dictionary lookup; Redis and the database only when the user's version moved."""
        if self.revoked:
            return False
        if auth_watch().current(self.auth_key) != self.auth_version:
            return await self.reauthorise()
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.still_authorised():
            return
        await super().receive(text_data, bytes_data)

    async def event_relay(self, message: dict[str, Any]) -> None:
        if self.revoked:
            return
        if message["event"].get("type") == AUTH_CHANGED:
            await self.reauthorise()  # for this socket only: never relayed to the page
            return
        await super().event_relay(message)
