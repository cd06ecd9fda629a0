"""The desktop WebSocket: one per browser tab, multiplexing every stream of the signed-in user.

It carries presence (heartbeats, state changes) and offer decisions for agents; later streams (the
inbox, calls) add handlers here."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from apps.core.consumers import TenantConsumer, same_origin
from apps.core.errors import ApplicationError
from apps.core.events import tenant_group, user_group
from apps.core.tenancy import in_tenant
from apps.inbox.consumers import InboxFrames
from apps.media import signaling
from apps.media.consumers import CallFrames

from . import presence


def _agent_snapshot(user: Any) -> dict[str, Any] | None:
    from .actions import ensure_agent_profile

    if user.role not in {"agent", "supervisor", "admin", "owner"}:
        return None
    agent = ensure_agent_profile(user)
    return {"id": agent.pk, "state": agent.state}


class DesktopConsumer(CallFrames, InboxFrames, TenantConsumer):
    """The agent desktop's socket. Requires a signed-in user of this tenant."""

    agent_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        # Refusals are sent after accepting, so the client reads a reason code, not a bare HTTP 403.
        if not same_origin(self.scope):
            await self.refuse(4403)  # a cookie-authenticated socket opened from another site
            return
        if user is None or not user.is_authenticated:
            await self.refuse(4401)  # the page should send the person to the sign-in page
            return
        self.user = user
        self.connection_id = uuid.uuid4().hex
        self.groups_joined = [tenant_group(self.schema_name), user_group(self.schema_name, user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.follow_assigned()
        agent = await in_tenant(self.schema_name, _agent_snapshot, user)
        self.agent_id = agent["id"] if agent else None
        if self.agent_id:
            await asyncio.to_thread(presence.touch, self.schema_name, user.pk, self.connection_id)
        await self.send_json(
            {"type": "hello", "tenant": self.schema_name, "user": {"id": user.pk, "email": user.email}, "agent": agent}
        )

    async def disconnect(self, code: int) -> None:
        await self.hang_up_all("agent_disconnected")
        for group in [*getattr(self, "groups_joined", []), *self.interaction_groups_joined()]:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.agent_id:
            await asyncio.to_thread(presence.drop, self.schema_name, self.user.pk, self.connection_id)

    async def event_relay(self, message: dict[str, Any]) -> None:
        if message["event"].get("type") == "assignments.changed":
            await self.follow_assigned()  # before the page reloads its list, so nothing falls between
        await super().event_relay(message)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "seq": frame.get("seq")})

    async def on_heartbeat(self, frame: dict[str, Any]) -> None:
        if self.agent_id:
            await asyncio.to_thread(presence.touch, self.schema_name, self.user.pk, self.connection_id)
        await self.send_json({"type": "heartbeat.ok"})

    async def _agent_call(self, fn: Any, *args: Any) -> Any:
        if not self.agent_id:
            await self.send_error("not_an_agent", "Only agents can do this.")
            return None
        try:
            return await in_tenant(self.schema_name, fn, *args)
        except ApplicationError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
            return None

    async def on_agent_set_state(self, frame: dict[str, Any]) -> None:
        from .actions import do_set_agent_state
        from .models import AgentProfile

        def run(agent_id: int, state: Any, reason: Any) -> dict[str, Any]:
            if reason is not None and not isinstance(reason, int):
                from apps.core.errors import ValidationFailed

                raise ValidationFailed("Reason must be an id.", fields={"reason": ["Must be an id."]})
            agent = do_set_agent_state(AgentProfile.objects.get(pk=agent_id), str(state), reason)
            return {"state": agent.state}

        result = await self._agent_call(run, self.agent_id, frame.get("state"), frame.get("reason"))
        if result is not None:
            await self.send_json({"type": "agent.state.ok", **result})

    async def on_offer_accept(self, frame: dict[str, Any]) -> None:
        await self._offer(frame, accept=True)

    async def on_offer_reject(self, frame: dict[str, Any]) -> None:
        await self._offer(frame, accept=False)

    async def _offer(self, frame: dict[str, Any], *, accept: bool) -> None:
        from apps.routing.actions import do_accept_offer, do_reject_offer

        offer_id = frame.get("offer_id")
        if not isinstance(offer_id, int):
            await self.send_error("bad_frame", "offer_id must be an integer.")
            return

        def run() -> dict[str, Any]:
            from django.db import transaction

            from apps.media.actions import CALL_CHANNELS, call_payload, do_answer_call

            if accept:
                with transaction.atomic():  # a call that ended meanwhile is not accepted
                    interaction = do_accept_offer(offer_id, self.user)
                    if interaction.channel not in CALL_CHANNELS:
                        return {"interaction_id": interaction.pk}
                    call = do_answer_call(interaction, self.user)
                    if call is None:
                        return {"interaction_id": interaction.pk}
                    return {"interaction_id": interaction.pk, "call": call_payload(call)}
            do_reject_offer(offer_id, self.user)
            return {}

        result = await self._agent_call(run)
        if result is None:
            return
        if result.get("call"):
            call_id = result["call"]["call_id"]
            await signaling.tell_worker(self.schema_name, call_id, {"type": "media.call.answer"})
            await signaling.tell_worker(self.schema_name, call_id, {"type": "media.call.resume"})
        await self.send_json(
            {"type": "offer.accept.ok" if accept else "offer.reject.ok", "offer_id": offer_id, **result}
        )

    async def on_call_join(self, frame: dict[str, Any]) -> None:
        """An agent who answered, or an invited supervisor or expert, connects to the call."""
        from apps.media.actions import do_join_call

        result = await self._call_action(frame.get("call_id"), do_join_call, frame.get("call_id"), self.user)
        if result is None:
            return
        seat, _call = result
        await self.take_seat(seat)
        await self.send_seated(seat)
