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

from apps.accounts.consumers import (
    CLOSE_ACCESS_CHANGED,
    CLOSE_FORBIDDEN,
    CLOSE_SIGNED_OUT,
    SignedInConsumer,
)
from apps.agents.consumers import PresenceFrames
from apps.inbox.consumers import InboxFrames
from apps.media import signaling
from apps.media.consumers import AgentCallFrames
from apps.routing.consumers import OfferFrames

from .actions import do_accept_offer_and_answer

__all__ = ["CLOSE_ACCESS_CHANGED", "CLOSE_FORBIDDEN", "CLOSE_SIGNED_OUT", "DesktopConsumer"]


class DesktopConsumer(AgentCallFrames, InboxFrames, OfferFrames, PresenceFrames, SignedInConsumer):
    """The agent desktop's socket. Requires a signed-in user of this tenant (accounts' SignedInConsumer:
    the session, the origin, and re-checks while it is open)."""

    async def connect(self) -> None:
        if not await self.sign_in():
            return
        self.connection_id = uuid.uuid4().hex
        await self.accept()
        await self.follow_assigned()
        agent = await self.start_presence()
        user = self.user
        await self.send_json(
            {"type": "hello", "tenant": self.schema_name, "user": {"id": user.pk, "email": user.email}, "agent": agent}
        )

    async def leave_groups(self) -> None:
        for group in self.interaction_groups_joined():
            await self.channel_layer.group_discard(group, self.channel_name)
        self.opened_ids, self.assigned_ids = set(), set()
        await super().leave_groups()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "connection_id"):
            return  # refused before it was set up
        await self.hang_up_all("agent_disconnected")
        await self.sign_out()
        await self.stop_presence()

    async def event_relay(self, message: dict[str, Any]) -> None:
        if not self.revoked and message["event"].get("type") == "assignments.changed":
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
