"""The agents' frames on the desktop socket (composed by `apps.desktop.consumers.DesktopConsumer`):
presence follows the socket (each tab refreshes a deadline in Redis), heartbeats, and the agent's
own state changes. Nothing here knows about conversations, offers or calls."""

from __future__ import annotations

import asyncio
from typing import Any

from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.tenancy import in_tenant

from . import presence

# Roles that sign in to the desktop as agents (they take offers and have a presence state).
DESKTOP_AGENT_ROLES = {"agent", "supervisor", "admin", "owner"}


def _agent_snapshot(user: Any) -> dict[str, Any] | None:
    from .actions import ensure_agent_profile

    if user.role not in DESKTOP_AGENT_ROLES:
        return None
    agent = ensure_agent_profile(user)
    return {"id": agent.pk, "state": agent.state}


def _set_state(agent_id: int, state: Any, reason: Any) -> dict[str, Any]:
    from .actions import do_set_agent_state
    from .models import AgentProfile

    if reason is not None and (not isinstance(reason, int) or isinstance(reason, bool)):
        raise ValidationFailed("Reason must be an id.", fields={"reason": ["Must be an id."]})
    agent = do_set_agent_state(AgentProfile.objects.get(pk=agent_id), str(state), reason)
    return {"state": agent.state}


class PresenceFrames:
    """Mixin for a TenantConsumer with `self.user` and `self.connection_id` set."""

    agent_id: int | None = None

    async def start_presence(self: Any) -> dict[str, Any] | None:
        """The user's agent profile (id, state), and this tab counted as one of theirs."""
        agent = await in_tenant(self.schema_name, _agent_snapshot, self.user)
        self.agent_id = agent["id"] if agent else None
        if self.agent_id:
            await asyncio.to_thread(presence.touch, self.schema_name, self.user.pk, self.connection_id)
        return agent

    async def stop_presence(self: Any) -> None:
        if self.agent_id:
            await asyncio.to_thread(presence.drop, self.schema_name, self.user.pk, self.connection_id)

    async def agent_call(self: Any, fn: Any, *args: Any) -> Any:
        """Run `fn` in the tenant for an agent's socket; refusals become error frames (None)."""
        if not self.agent_id:
            await self.send_error("not_an_agent", "Only agents can do this.")
            return None
        try:
            return await in_tenant(self.schema_name, fn, *args)
        except ApplicationError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
            return None

    async def on_ping(self: Any, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "seq": frame.get("seq")})

    async def on_heartbeat(self: Any, frame: dict[str, Any]) -> None:
        if self.agent_id:
            await asyncio.to_thread(presence.touch, self.schema_name, self.user.pk, self.connection_id)
        await self.send_json({"type": "heartbeat.ok"})

    async def on_agent_set_state(self: Any, frame: dict[str, Any]) -> None:
        result = await self.agent_call(_set_state, self.agent_id, frame.get("state"), frame.get("reason"))
        if result is not None:
            await self.send_json({"type": "agent.state.ok", **result})
