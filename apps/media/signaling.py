"""What signaling frames may carry, and the consumers' conversation with the media worker.

Browsers exchange their peer-to-peer offers, answers and ICE candidates through the server (the
perfect-negotiation pattern runs in the browsers); the server checks each one before relaying it so
that a malformed one gets an error frame to its sender and never reaches the other party. Each
browser's own leg to the media worker (a forked copy of its tracks for recording; ringback and
hold coming back) goes through `apps.media.protocol`."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiortc.sdp import SessionDescription, candidate_from_sdp

from apps.core.errors import ApplicationError
from apps.core.tenancy import in_tenant

from .engine.config import MAX_SDP_BYTES
from .protocol import request_call

logger = logging.getLogger(__name__)

_SDP_LINE = re.compile(r"^[a-z]=[^\r\n]*$")
MAX_CANDIDATE_CHARS = 1024


class InvalidSignal(ApplicationError):
    code = "invalid_sdp"
    status = 400


def check_description(value: Any) -> dict[str, str]:
    """A session description as RTCPeerConnection.localDescription serialises it."""
    if not isinstance(value, dict) or value.get("type") not in {"offer", "answer", "rollback"}:
        raise InvalidSignal("description.type must be offer, answer or rollback.")
    sdp = value.get("sdp", "")
    if value["type"] == "rollback":
        return {"type": "rollback", "sdp": ""}
    if not isinstance(sdp, str) or len(sdp) > MAX_SDP_BYTES or not sdp.startswith("v=0"):
        raise InvalidSignal("description.sdp is not a session description.")
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    bad = next((n for n, line in enumerate(lines, 1) if not _SDP_LINE.match(line)), None)
    if bad is not None:
        raise InvalidSignal(f"description.sdp line {bad} is malformed.")
    if not any(line.startswith("m=") for line in lines):
        raise InvalidSignal("description.sdp has no media section.")
    try:
        SessionDescription.parse(sdp)
    except Exception as exc:
        raise InvalidSignal(f"description.sdp cannot be parsed: {exc or type(exc).__name__}") from exc
    return {"type": str(value["type"]), "sdp": sdp}


def check_candidate(value: Any) -> dict[str, Any]:
    """An RTCIceCandidateInit; an empty `candidate` marks the end of candidates."""
    if not isinstance(value, dict):
        raise InvalidSignal("candidate must be an object.", code="invalid_candidate")
    text = value.get("candidate", "")
    mid = value.get("sdpMid")
    index = value.get("sdpMLineIndex")
    ufrag = value.get("usernameFragment")
    if not isinstance(text, str) or len(text) > MAX_CANDIDATE_CHARS:
        raise InvalidSignal("candidate.candidate must be text.", code="invalid_candidate")
    if mid is not None and (not isinstance(mid, str) or len(mid) > 32):
        raise InvalidSignal("candidate.sdpMid must be short text.", code="invalid_candidate")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 64):
        raise InvalidSignal("candidate.sdpMLineIndex must be a small number.", code="invalid_candidate")
    if ufrag is not None and (not isinstance(ufrag, str) or len(ufrag) > 256):
        raise InvalidSignal("candidate.usernameFragment must be short text.", code="invalid_candidate")
    if text:
        if not text.startswith("candidate:"):
            raise InvalidSignal("candidate.candidate must start with 'candidate:'.", code="invalid_candidate")
        try:
            candidate_from_sdp(text.split(":", 1)[1])
        except Exception as exc:
            raise InvalidSignal(
                f"candidate.candidate cannot be parsed: {exc or type(exc).__name__}", code="invalid_candidate"
            ) from exc
    return {"candidate": text, "sdpMid": mid, "sdpMLineIndex": index, "usernameFragment": ufrag}


class MediaUnavailable(ApplicationError):
    code = "media_unavailable"
    status = 503


async def ask_worker(schema: str, call_id: str, message: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """One request to the call's media worker; its refusal or silence becomes an ApplicationError."""
    try:
        reply = await request_call(schema, call_id, message, timeout=timeout)
    except TimeoutError as exc:
        raise MediaUnavailable("The media worker did not answer.") from exc
    if reply.get("type") == "media.error":
        raise ApplicationError(
            str(reply.get("message") or "Media error."), code=str(reply.get("code") or "media_error"), status=400
        )
    return reply


async def start_call_media(schema: str, call_id: str) -> dict[str, Any]:
    """Ask a media worker to take the call: it records when the queue says so and plays the queue's
    ringback until an agent answers."""
    from .models import Call
    from .selectors import media_files_for_queue

    def facts() -> dict[str, Any]:
        call = Call.objects.select_related("interaction").get(call_id=call_id)
        return {
            "recording": call.recorded,
            "video": call.mode != Call.Mode.AUDIO,
            **media_files_for_queue(call.interaction.queue_id),
        }

    details = await in_tenant(schema, facts)
    return await ask_worker(schema, call_id, {"type": "media.call.start", **details})


async def tell_worker(schema: str, call_id: str, message: dict[str, Any]) -> None:
    """A state change the worker should follow (answer, hold, resume, end), sent beside the caller:
    it returns at once. A worker that is starting, busy with the call or on a loaded machine may take
    seconds to reply, and the caller is a socket that handles one frame or event at a time; waiting
    here held the agent's `offer.accept.ok`, and with it the call's signaling, behind the worker.
    What one process tells about one call reaches the worker in the order told. A failure is logged:
    the parties' own connection goes on, and a dead worker is reported by `call.media_lost`."""
    key = (schema, call_id)
    task = asyncio.ensure_future(_tell(_told.get(key), schema, call_id, message))
    _told[key] = task
    task.add_done_callback(lambda done: _told.pop(key) if _told.get(key) is done else None)


# The last message told about each call, still on its way (the next one waits for it).
_told: dict[tuple[str, str], asyncio.Future[None]] = {}


async def _tell(previous: asyncio.Future[None] | None, schema: str, call_id: str, message: dict[str, Any]) -> None:
    if previous is not None:
        await asyncio.wait([previous])  # its outcome is its own
    try:
        await ask_worker(schema, call_id, message)
    except ApplicationError as exc:
        logger.warning("Media worker refused %s for call %s/%s: %s", message.get("type"), schema, call_id, exc)
    except Exception:
        logger.exception("Could not tell the media worker %s for call %s/%s", message.get("type"), schema, call_id)
