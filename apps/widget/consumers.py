"""The customer widget's WebSocket (one per widget iframe). The iframe is served from the tenant's
host, so the socket's Origin must be that host; the embedding page's origin is checked against the
widget key's allowed origins (and the browser enforces it through frame-ancestors)."""

from __future__ import annotations

from typing import Any

from apps.core.consumers import TenantConsumer, same_origin
from apps.core.errors import ApplicationError
from apps.core.events import asend_events
from apps.core.tenancy import in_tenant
from apps.inbox.actions import apost_message, interaction_group
from apps.media import signaling
from apps.media.actions import Seat, do_end_call_by_system
from apps.media.consumers import CallFrames

from . import actions


class WidgetConsumer(CallFrames, TenantConsumer):
    visit: actions.Visit | None = None
    joined: str | None = None

    async def connect(self) -> None:
        if not same_origin(self.scope):
            await self.refuse(4403)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.hang_up_all("customer_left")
        if self.joined:
            await self.channel_layer.group_discard(self.joined, self.channel_name)

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await in_tenant(self.schema_name, fn, *args, **kwargs)
        except ApplicationError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
            return None

    async def _join(self, interaction_id: int | None) -> None:
        if interaction_id is None:
            return
        group = interaction_group(self.schema_name, interaction_id)
        if group != self.joined:
            if self.joined:
                await self.channel_layer.group_discard(self.joined, self.channel_name)
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined = group

    async def _need_visit(self) -> bool:
        if self.visit is None:
            await self.send_error("hello_first", "Say hello first.")
            return False
        return True

    async def on_hello(self, frame: dict[str, Any]) -> None:
        result = await self._call(
            actions.do_start_visit,
            key=frame.get("key"),
            embed_origin=frame.get("origin"),
            visitor=frame.get("visitor_token"),
            identity_token=frame.get("identity_token"),
            page=frame.get("page"),
            last_seq=frame.get("last_seq"),
        )
        if result is None:
            return
        self.visit, welcome = result
        await self._join(self.visit.interaction_id)  # before replying, so nothing falls in between
        await self.send_json(welcome)

    async def on_resume(self, frame: dict[str, Any]) -> None:
        if not await self._need_visit() or self.visit is None or not self.visit.interaction_id:
            return
        messages = await self._call(actions.missed_messages, self.visit.interaction_id, frame.get("last_seq"))
        if messages is not None:
            await self.send_json({"type": "messages", "messages": messages})

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        if not await self._need_visit() or self.visit is None:
            return
        client_id = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
        try:
            await self._send_message(frame)
        except ApplicationError as exc:
            # Refused: the widget keeps the message marked "not sent", with this reason and a retry.
            await self.send_json({"type": "error", **exc.as_dict(), "client_id": client_id})

    async def _send_message(self, frame: dict[str, Any]) -> None:
        assert self.visit is not None
        if self.visit.interaction_id:
            # The hot path: one statement for a message to the open conversation.
            posted = await apost_message(
                self.schema_name,
                self.visit.interaction_id,
                kind="customer",
                body=frame.get("body"),
                client_id=frame.get("client_id"),
            )
            if posted is not None:
                return
        before = self.visit.interaction_id
        visit, interaction = await in_tenant(
            self.schema_name, actions.do_customer_message, self.visit, frame.get("body"), frame.get("client_id")
        )
        self.visit = visit
        if before != visit.interaction_id:
            await self._join(visit.interaction_id)
            state = await self._call(actions.interaction_state, interaction)
            # The first message was sent before we joined: deliver what we may have missed.
            missed = await self._call(actions.missed_messages, interaction.pk, 0)
            await self.send_json({"type": "conversation.started", "interaction": state, "messages": missed})

    async def on_position_get(self, frame: dict[str, Any]) -> None:
        if not await self._need_visit() or self.visit is None:
            return
        interaction = await self._call(actions.visit_interaction, self.visit)
        if interaction is not None:
            state = await self._call(actions.interaction_state, interaction)
            await self.send_json({"type": "position", "interaction": state})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        if self.visit and self.visit.interaction_id and self.joined:
            event = {
                "type": "typing",
                "by": "customer",
                "interaction_id": self.visit.interaction_id,
                "active": bool(frame.get("active")),
            }
            await asend_events(self.schema_name, [(event, [self.joined])])

    async def on_read(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        if self.visit and self.visit.interaction_id and self.joined and isinstance(seq, int):
            event = {"type": "read", "by": "customer", "interaction_id": self.visit.interaction_id, "seq": seq}
            await asend_events(self.schema_name, [(event, [self.joined])])

    async def on_prechat_submit(self, frame: dict[str, Any]) -> None:
        if await self._need_visit() and self.visit is not None:
            reply = await self._call(actions.do_prechat, self.visit, frame.get("name"), frame.get("email"))
            if reply:
                await self.send_json(reply)

    async def on_invitation_accept(self, frame: dict[str, Any]) -> None:
        """The visitor took a proactive invitation on the site's page: the conversation it opens goes to
        the invitation's queue, and the agent sees why they were invited."""
        if await self._need_visit() and self.visit is not None:
            reply = await self._call(actions.do_accept_invitation, self.visit, frame.get("token"))
            if reply:
                await self.send_json(reply)

    async def on_callback_request(self, frame: dict[str, Any]) -> None:
        if await self._need_visit() and self.visit is not None:
            reply = await self._call(actions.do_widget_callback, self.visit, frame.get("phone"))
            if reply:
                await self.send_json(reply)

    async def on_offline_submit(self, frame: dict[str, Any]) -> None:
        if await self._need_visit() and self.visit is not None:
            reply = await self._call(
                actions.do_offline_message, self.visit, frame.get("name"), frame.get("email"), frame.get("body")
            )
            if reply:
                await self.send_json(reply)

    async def on_csat(self, frame: dict[str, Any]) -> None:
        if await self._need_visit() and self.visit is not None:
            reply = await self._call(actions.do_widget_csat, self.visit, frame.get("score"), frame.get("comment"))
            if reply:
                await self.send_json(reply)

    # --- calls ------------------------------------------------------------------------------------

    async def on_call_start(self, frame: dict[str, Any]) -> None:
        """The customer presses "voice call" or "video call" (or upgrades the running chat)."""
        if not await self._need_visit() or self.visit is None:
            return
        call = await self._call(actions.do_widget_call, self.visit, frame.get("mode"))
        if call is None:
            return
        seat = Seat(call.call_id, "customer", "customer")
        await self.take_seat(seat)
        try:
            await signaling.start_call_media(self.schema_name, call.call_id)
        except ApplicationError as exc:
            await self._call(do_end_call_by_system, call.call_id, "media_unavailable")
            await self.leave_seat(call.call_id)
            await self.send_json({"type": "error", "call_id": call.call_id, **exc.as_dict()})
            return
        state = await self._call(actions.call_start_state, call)
        await self.send_seated(seat, queue=state)

    async def on_call_position(self, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            state = await self._call(actions.call_queue_state, seat.call_id)
            if state is not None:
                await self.send_json({"type": "call.position", "call_id": seat.call_id, "queue": state})
