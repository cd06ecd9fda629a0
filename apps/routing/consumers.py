"""Routing's frames on the desktop socket (composed by `apps.desktop.consumers.DesktopConsumer`): an
agent accepts or rejects the offer ringing on their desktop. A consumer that must do more when an
offer is accepted (the desktop answers the call an offer brings) overrides `accept_offer` and
`offer_accepted`."""

from __future__ import annotations

from typing import Any


def _accept(offer_id: int, user: Any) -> dict[str, Any]:
    from .actions import do_accept_offer

    return {"interaction_id": do_accept_offer(offer_id, user).pk}


def _reject(offer_id: int, user: Any) -> dict[str, Any]:
    from .actions import do_reject_offer

    do_reject_offer(offer_id, user)
    return {}


class OfferFrames:
    """Mixin for a TenantConsumer with `self.user` and an `agent_call` (see agents.consumers)."""

    def accept_offer(self: Any, offer_id: int, user: Any) -> dict[str, Any]:
        """Runs in the tenant (a worker thread): accept, and say what the desktop should show."""
        return _accept(offer_id, user)

    async def offer_accepted(self: Any, result: dict[str, Any]) -> None:
        """After the accept committed, before `offer.accept.ok` is sent."""

    async def on_offer_accept(self: Any, frame: dict[str, Any]) -> None:
        await self._offer(frame, accept=True)

    async def on_offer_reject(self: Any, frame: dict[str, Any]) -> None:
        await self._offer(frame, accept=False)

    async def _offer(self: Any, frame: dict[str, Any], *, accept: bool) -> None:
        offer_id = frame.get("offer_id")
        if not isinstance(offer_id, int) or isinstance(offer_id, bool):
            await self.send_error("bad_frame", "offer_id must be an integer.")
            return
        result = await self.agent_call(self.accept_offer if accept else _reject, offer_id, self.user)
        if result is None:
            return
        if accept:
            await self.offer_accepted(result)
        await self.send_json(
            {"type": "offer.accept.ok" if accept else "offer.reject.ok", "offer_id": offer_id, **result}
        )
