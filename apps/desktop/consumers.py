"""The agent desktop's WebSocket (`/ws/desktop/`): one per browser tab, multiplexing every stream of
the signed-in user. It composes the frame handlers the apps below offer:

- agents (`PresenceFrames`): presence follows the socket, `ping`, `heartbeat`, `agent.set_state`;
- routing (`OfferFrames`): `offer.accept`, `offer.reject` (accepting a call's offer answers the call
  here, the one place that knows both);
- inbox (`InboxFrames`): `interaction.open` / `.close`, `message.send`, `typing`, `read`;
- media (`AgentCallFrames`): `call.join` and every call frame.

Authorisation: the user comes from the session (TenantWebSocketMiddleware); every group a socket joins
beyond its tenant's and its user's is joined only after an action or check said the user may (see
InboxFrames, AgentCallFrames). What can change while the socket is open (the user deactivated, their
role changed, the session signed out) is re-checked when `auth.changed` arrives on the user's group
and when the web process's mirror of the user's auth version moves (accounts.sessions); before every
frame the socket compares its version with that mirror (no I/O)."""

from __future__ import annotations

import uuid
from typing import Any

from apps.accounts.selectors import session_user
from apps.accounts.sessions import AUTH_CHANGED, aauth_version, auth_version_key, auth_watch
from apps.agents.consumers import PresenceFrames
from apps.core.consumers import TenantConsumer, same_origin
from apps.core.events import tenant_group, user_group
from apps.core.tenancy import in_tenant
from apps.inbox.consumers import InboxFrames
from apps.media import signaling
from apps.media.consumers import AgentCallFrames
from apps.routing.consumers import OfferFrames

from .actions import do_accept_offer_and_answer

# Close codes the page understands (static/js/desktop-socket.js).
CLOSE_SIGNED_OUT = 4401  # not signed in (any more), or deactivated: the page goes to the sign-in page
CLOSE_FORBIDDEN = 4403  # opened from another site
CLOSE_ACCESS_CHANGED = 4409  # the user's role changed: the page reloads with what the new role may do


class DesktopConsumer(AgentCallFrames, InboxFrames, OfferFrames, PresenceFrames, TenantConsumer):
    """The agent desktop's socket. Requires a signed-in user of this tenant."""

    revoked = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        # Refusals are sent after accepting, so the client reads a reason code, not a bare HTTP 403.
        if not same_origin(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)  # a cookie-authenticated socket opened from another site
            return
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)  # the page should send the person to the sign-in page
            return
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
            return
        self.user = fresh
        self.connection_id = uuid.uuid4().hex
        self.groups_joined = [tenant_group(self.schema_name), user_group(self.schema_name, user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.follow_assigned()
        agent = await self.start_presence()
        await self.send_json(
            {"type": "hello", "tenant": self.schema_name, "user": {"id": user.pk, "email": user.email}, "agent": agent}
        )

    async def _leave_groups(self) -> None:
        for group in [*getattr(self, "groups_joined", []), *self.interaction_groups_joined()]:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined, self.opened_ids, self.assigned_ids = [], set(), set()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "connection_id"):
            return  # refused before it was set up
        auth_watch().unwatch(self.auth_key, id(self))
        await self.hang_up_all("agent_disconnected")
        await self._leave_groups()
        await self.stop_presence()

    # --- authorisation that can change while the socket is open ----------------------------------

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
        if user.role != self.user.role:
            await self.revoke(CLOSE_ACCESS_CHANGED)
            return False
        self.user, self.auth_version = user, version
        return True

    async def revoke(self, code: int) -> None:
        """Stop hearing anything at once (leave every group), then close."""
        if self.revoked:
            return
        self.revoked = True
        await self._leave_groups()
        await self.close(code=code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.revoked:
            return
        # A dictionary lookup per frame; Redis and the database only when the version moved.
        if auth_watch().current(self.auth_key) != self.auth_version and not await self.reauthorise():
            return
        await super().receive(text_data, bytes_data)

    async def event_relay(self, message: dict[str, Any]) -> None:
        if self.revoked:
            return
        etype = message["event"].get("type")
        if etype == AUTH_CHANGED:
            await self.reauthorise()  # for this socket only: never relayed to the page
            return
        if etype == "assignments.changed":
            await self.follow_assigned()  # before the page reloads its list, so nothing falls between
        await super().event_relay(message)

    # --- offers that bring calls --------------------------------------------------------------------

    def accept_offer(self, offer_id: int, user: Any) -> dict[str, Any]:
        return do_accept_offer_and_answer(offer_id, user)

    async def offer_accepted(self, result: dict[str, Any]) -> None:
        if result.get("call"):
            call_id = result["call"]["call_id"]
            await signaling.tell_worker(self.schema_name, call_id, {"type": "media.call.answer"})
            await signaling.tell_worker(self.schema_name, call_id, {"type": "media.call.resume"})
