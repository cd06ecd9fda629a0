"""Call frames, shared by the desktop and the widget sockets (`CallFrames` is mixed into both; the
desktop composes `AgentCallFrames`, which adds `call.join`).

A socket takes a *seat* in a call (the customer when it starts one; an agent or guest with
`call.join`) and from then on may:

- `call.signal` {call_id, to, description | candidate}: relayed to the party `to`, after checking
  that both are live parties of that call in this tenant and that the SDP/candidate is well formed;
- `call.media` {call_id, description | candidate}: its own leg to the media worker (customer and the
  call's agent only), answered with `call.media.answer`;
- `call.hold` / `call.resume`, `call.mode` {mode}, `call.mute` {muted}, `call.screen` {active},
  `call.invite` {user_id}, `call.transfer` {to_agent_id | to_queue_id, note}, `call.hangup`.

Every refusal is an error frame with the call_id; the call goes on. State changes come back to
every party as `call.updated` events from the actions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apps.core.errors import ApplicationError
from apps.core.events import asend_events
from apps.core.tenancy import in_tenant

from . import actions, signaling
from .actions import Seat
from .selectors import ice_servers

logger = logging.getLogger(__name__)

# How long a party's own leg to the media worker waits for the worker's answer. It runs beside the
# socket's frames (nothing else waits on it), so it can be longer than a request's timeout.
MEDIA_LEG_TIMEOUT = 30.0


class CallFrames:
    """Mixin for a TenantConsumer. Subclasses give `call_identity()` for TURN credentials."""

    seats: dict[str, Seat]

    def _seats(self: Any) -> dict[str, Seat]:
        if not hasattr(self, "seats"):
            self.seats = {}
        return self.seats  # type: ignore[no-any-return]

    async def _call_action(self: Any, call_id: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await in_tenant(self.schema_name, fn, *args, **kwargs)
        except ApplicationError as exc:
            await self.send_json({"type": "error", "call_id": call_id, **exc.as_dict()})
            return None

    async def _seat(self: Any, frame: dict[str, Any]) -> Seat | None:
        call_id = frame.get("call_id")
        seat = self._seats().get(call_id) if isinstance(call_id, str) else None
        if seat is None:
            await self.send_json(
                {"type": "error", "call_id": call_id, "code": "not_in_call", "message": "You are not in this call."}
            )
        return seat

    async def take_seat(self: Any, seat: Seat) -> None:
        layer = self.channel_layer
        await layer.group_add(actions.call_group(self.schema_name, seat.call_id), self.channel_name)
        await layer.group_add(actions.party_group(self.schema_name, seat.call_id, seat.party), self.channel_name)
        self._seats()[seat.call_id] = seat

    async def leave_seat(self: Any, call_id: str) -> None:
        seat = self._seats().pop(call_id, None)
        if seat is None:
            return
        layer = self.channel_layer
        await layer.group_discard(actions.call_group(self.schema_name, call_id), self.channel_name)
        await layer.group_discard(actions.party_group(self.schema_name, call_id, seat.party), self.channel_name)

    async def send_seated(self: Any, seat: Seat, **extra: Any) -> None:
        """Tell the socket it is in the call: who it is, the call's state, ICE servers."""
        frame = await self._call_action(seat.call_id, _seated_frame, self.schema_name, seat)
        if frame is not None:
            await self.send_json({**frame, **extra})

    # --- signaling ------------------------------------------------------------------------------

    async def on_call_signal(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is None:
            return
        to = frame.get("to")
        try:
            payload: dict[str, Any] = {}
            if "description" in frame:
                payload["description"] = signaling.check_description(frame["description"])
            elif "candidate" in frame:
                payload["candidate"] = signaling.check_candidate(frame["candidate"])
            else:
                raise signaling.InvalidSignal("Send a description or a candidate.", code="bad_frame")
        except ApplicationError as exc:
            await self.send_json({"type": "error", "call_id": seat.call_id, **exc.as_dict()})
            return
        ok = await self._call_action(seat.call_id, _both_live, seat, to)
        if not ok:
            if ok is False:
                await self.send_json(
                    {"type": "error", "call_id": seat.call_id, "code": "unknown_party", "message": "No such party."}
                )
            return
        event = {"type": "call.signal", "call_id": seat.call_id, "from": seat.party, **payload}
        await asend_events(self.schema_name, [(event, [actions.party_group(self.schema_name, seat.call_id, str(to))])])

    async def on_call_media(self: Any, frame: dict[str, Any]) -> None:
        """The socket's own leg to the media worker. The frame is checked here; the worker is asked
        beside the socket's frame loop (`_media_leg`), because its answer can take seconds (a worker
        that is starting, busy or loaded) and a socket handles one frame or event at a time: the
        parties' own call (offer, answer and candidates relayed between them, and every event for
        this socket) must never wait behind the recording's leg."""
        seat = await self._seat(frame)
        if seat is None:
            return
        if seat.role == "guest":
            await self.send_json(
                {
                    "type": "error",
                    "call_id": seat.call_id,
                    "code": "no_media_leg",
                    "message": "Guests are not recorded.",
                }
            )
            return
        if await self._call_action(seat.call_id, actions.check_seat, seat) is None:
            return
        try:
            if "description" in frame:
                description = signaling.check_description(frame["description"])
                if description["type"] != "offer":
                    raise signaling.InvalidSignal("The media worker takes offers only.")
                checked: dict[str, Any] = {"description": description}
            elif "candidate" in frame:
                checked = {"candidate": signaling.check_candidate(frame["candidate"])}
            else:
                raise signaling.InvalidSignal("Send a description or a candidate.", code="bad_frame")
        except ApplicationError as exc:
            await self.send_json({"type": "error", "call_id": seat.call_id, **exc.as_dict()})
            return
        if not hasattr(self, "media_tasks"):
            self.media_tasks = set()
            self.media_lock = asyncio.Lock()  # a socket's worker messages stay in the order sent
        task = asyncio.ensure_future(self._media_leg(seat, checked))
        self.media_tasks.add(task)
        task.add_done_callback(self.media_tasks.discard)

    async def _media_leg(self: Any, seat: Seat, checked: dict[str, Any]) -> None:
        worker_party = "customer" if seat.role == "customer" else "agent"
        async with self.media_lock:
            try:
                if "description" in checked:
                    fresh = seat.call_id not in getattr(self, "media_legs", set())
                    reply = await signaling.ask_worker(
                        self.schema_name,
                        seat.call_id,
                        {
                            "type": "media.peer.offer",
                            "party": worker_party,
                            "sdp": checked["description"]["sdp"],
                            # A new agent after a transfer replaces the previous agent's leg.
                            "reset": fresh,
                        },
                        # Nothing waits on it: give a busy worker time rather than lose its answer.
                        timeout=MEDIA_LEG_TIMEOUT,
                    )
                    if not hasattr(self, "media_legs"):
                        self.media_legs = set()
                    self.media_legs.add(seat.call_id)
                    await self.send_json(
                        {
                            "type": "call.media.answer",
                            "call_id": seat.call_id,
                            "description": {"type": "answer", "sdp": reply["sdp"]},
                        }
                    )
                else:
                    await signaling.ask_worker(
                        self.schema_name,
                        seat.call_id,
                        {"type": "media.peer.candidate", "party": worker_party, **checked["candidate"]},
                    )
            except ApplicationError as exc:
                await self.send_json({"type": "error", "call_id": seat.call_id, **exc.as_dict()})
            except Exception:
                logger.exception("Media leg of call %s failed", seat.call_id)

    # --- in the call ----------------------------------------------------------------------------

    async def on_call_hold(self: Any, frame: dict[str, Any]) -> None:
        await self._hold(frame, hold=True)

    async def on_call_resume(self: Any, frame: dict[str, Any]) -> None:
        await self._hold(frame, hold=False)

    async def _hold(self: Any, frame: dict[str, Any], *, hold: bool) -> None:
        seat = await self._seat(frame)
        if seat is None:
            return
        call = await self._call_action(seat.call_id, actions.do_hold_call, seat, hold)
        if call is not None:
            await signaling.tell_worker(
                self.schema_name,
                seat.call_id,
                {"type": "media.call.hold" if hold else "media.call.resume", "parties": ["customer"]},
            )

    async def on_call_mode(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            await self._call_action(seat.call_id, actions.do_set_call_mode, seat, frame.get("mode"))

    async def on_call_mute(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            await self._call_action(seat.call_id, actions.do_set_party_flag, seat, "muted", frame.get("muted"))

    async def on_call_screen(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            await self._call_action(seat.call_id, actions.do_set_party_flag, seat, "sharing", frame.get("active"))

    async def on_call_invite(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            call = await self._call_action(seat.call_id, actions.do_invite_to_call, seat, frame.get("user_id"))
            if call is not None:
                await self.send_json({"type": "call.invite.ok", "call_id": seat.call_id})

    async def on_call_transfer(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is None:
            return
        call = await self._call_action(
            seat.call_id,
            actions.do_transfer_call,
            seat,
            to_agent_id=frame.get("to_agent_id"),
            to_queue_id=frame.get("to_queue_id"),
            note=frame.get("note", ""),
        )
        if call is None:
            return
        if call.state == "queued":  # blind: the customer waits with hold music until someone answers
            await signaling.tell_worker(self.schema_name, seat.call_id, {"type": "media.call.hold"})
        await self.send_json({"type": "call.transfer.ok", "call_id": seat.call_id})

    async def on_call_hangup(self: Any, frame: dict[str, Any]) -> None:
        seat = await self._seat(frame)
        if seat is not None:
            await self.hang_up(seat, "hangup")

    async def hang_up(self: Any, seat: Seat, reason: str) -> None:
        call = await self._call_action(seat.call_id, actions.do_leave_call, seat, reason)
        if call is not None and call.state == "ended":
            await signaling.tell_worker(
                self.schema_name, seat.call_id, {"type": "media.call.end", "ended_by": call.ended_by}
            )
        await self.leave_seat(seat.call_id)

    async def hang_up_all(self: Any, reason: str) -> None:
        """The socket went away: its calls end (customer, agent) or it leaves them (guest)."""
        for task in list(getattr(self, "media_tasks", ())):
            task.cancel()  # nobody is left to hear the worker's answer
        for seat in list(self._seats().values()):
            try:
                await self.hang_up(seat, reason)
            except Exception:
                logger.exception("Could not hang up call %s on disconnect", seat.call_id)

    # --- events from the call's group -----------------------------------------------------------

    async def event_relay(self: Any, message: dict[str, Any]) -> None:
        event = message["event"]
        etype = event.get("type")
        call_id = event.get("call_id") or (event.get("call") or {}).get("call_id")
        if etype == "call.media_lost" and call_id in self._seats():
            # Every party's socket hears it; the first ends the call, the others find it ended.
            # The seat is left when the `call.updated` (ended) event arrives, so every party sees it.
            await self._call_action(call_id, actions.do_end_call_by_system, call_id, "media_lost")
            await self.send_json(event)
            return
        await self.send_json(event)
        if etype == "call.updated" and call_id in self._seats():
            seat = self._seats()[call_id]
            call = event["call"]
            mine = next((p for p in call["parties"] if p["party"] == seat.party), None)
            if call["state"] == "ended" or mine is None:
                await self.leave_seat(call_id)
            elif mine["role"] != seat.role:  # a guest who was handed the call (warm transfer)
                self._seats()[call_id] = Seat(seat.call_id, seat.party, mine["role"])


class AgentCallFrames(CallFrames):
    """The desktop's call frames: CallFrames plus `call.join`, by which the agent who answered, or an
    invited supervisor or expert, takes their seat (the action checks they may)."""

    async def on_call_join(self: Any, frame: dict[str, Any]) -> None:
        call_id = frame.get("call_id")
        result = await self._call_action(call_id, actions.do_join_call, call_id, self.user)
        if result is None:
            return
        seat, _call = result
        await self.take_seat(seat)
        await self.send_seated(seat)


def _both_live(seat: Seat, to: Any) -> bool:
    if not isinstance(to, str) or to == seat.party:
        return False
    actions.check_seat(seat)
    return actions.is_live_party(seat.call_id, to)


def _seated_frame(schema: str, seat: Seat) -> dict[str, Any]:
    call = actions.check_seat(seat)
    return {
        "type": "call.joined",
        "call_id": seat.call_id,
        "party": seat.party,
        "role": seat.role,
        "call": actions.call_payload(call),
        "ice_servers": ice_servers(f"{schema}-{seat.party}"),
        "media_leg": seat.role != "guest",
    }
