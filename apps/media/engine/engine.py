"""The media engine of one media worker process: the calls it owns, and the upkeep that keeps
ownership honest (lease renewal, orphan detection, leftover recordings)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage

from apps.core.events import RELAY, check_event
from apps.core.health import media_worker_key
from apps.core.keys import group_name
from apps.core.redis import get_redis
from apps.core.tenancy import in_tenant

from .. import actions
from . import leases
from .call import Call
from .clips import DEFAULT_TONES, Clip, ClipCache
from .config import CALL_ID, PARTIES, lease_seconds, spool_dir, watchdog_seconds
from .errors import MediaError
from .recording import CallMedia, init_templates, probe, remux

logger = logging.getLogger(__name__)

START = "media.call.start"
CALL_TYPES = {
    START,
    "media.call.answer",
    "media.call.hold",
    "media.call.resume",
    "media.call.end",
    "media.call.stats",
    "media.peer.offer",
    "media.peer.candidate",
}
SPOOL_SWEEP_SECONDS = 10.0


def call_group(schema: str, call_id: str) -> str:
    return group_name(schema, "call", call_id)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return 0


class MediaEngine:
    def __init__(self, worker_id: str, layer: Any, events: Any = None) -> None:
        self.worker_id = worker_id
        self.layer = layer  # requests and forwarding between workers ("media" layer)
        self.events = events if events is not None else layer  # call events to the sockets' groups
        self.channel = ""
        self.calls: dict[tuple[str, str], Call] = {}
        self.leases: dict[tuple[str, str], leases.Lease] = {}
        self.spool = spool_dir()
        self.clips = ClipCache(self.spool)
        self.max_lag = 0.0
        self.ended_totals = {"calls": 0, "frames": 0, "late": 0, "lost": 0}

    # --- life cycle -----------------------------------------------------------------------------

    async def start(self, channel: str) -> None:
        self.channel = channel
        await asyncio.to_thread(init_templates, self.spool)
        await asyncio.to_thread(self.prepare_default_clips)
        await self.recover_spool()

    def prepare_default_clips(self) -> None:
        """Encode (once per spool folder) and load the default ringback and hold media before taking
        calls: encoding the video ones takes seconds of CPU, which the first call would otherwise
        pay while it connects."""
        for purpose in DEFAULT_TONES:
            for video in (False, True):
                self.clips.default(purpose, video)

    async def upkeep(self) -> None:
        """Renew our leases, announce calls whose worker died, finalise leftovers. Runs forever."""
        last_sweep = time.monotonic()
        renew_every = lease_seconds() / 3
        last_renew = 0.0
        while True:
            started = time.monotonic()
            try:
                if started - last_renew >= renew_every:
                    last_renew = started
                    lost = await asyncio.to_thread(leases.renew, list(self.leases.values()))
                    for lease in lost:
                        await self.lose_call(lease.schema, lease.call_id, "lease_lost")
                for schema, call_id in await asyncio.to_thread(leases.take_orphans):
                    logger.warning("Call %s/%s lost its media worker", schema, call_id)
                    await self.publish(schema, call_id, {"type": "call.media_lost", "reason": "media_worker_died"})
                if started - last_sweep >= SPOOL_SWEEP_SECONDS:
                    last_sweep = started
                    await self.recover_spool()
            except Exception:
                logger.exception("Media upkeep failed; retrying")
            await asyncio.sleep(min(watchdog_seconds(), renew_every))

    async def measure_lag(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.05)
            self.max_lag = max(self.max_lag, time.monotonic() - before - 0.05)

    async def shutdown(self) -> None:
        """A clean stop: every call ends with its recording stored and a `call.media_lost` event."""
        for schema, call_id in list(self.calls):
            try:
                await self.lose_call(schema, call_id, "media_worker_stopped")
            except Exception:
                logger.exception("Could not end call %s/%s on shutdown", schema, call_id)

    # --- messages -------------------------------------------------------------------------------

    async def handle(self, schema: str, message: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one call message for tenant `schema` (already checked to exist). None: forwarded to
        the worker that owns the call, which replies itself."""
        mtype = message["type"]
        call_id = message.get("call_id")
        if not isinstance(call_id, str) or not CALL_ID.match(call_id):
            raise MediaError("call_id must be 1-64 letters, digits, '-' or '_'.", code="invalid_call_id")
        if mtype == START:
            return await self.start_call(schema, call_id, message)
        call = self.calls.get((schema, call_id))
        if call is None:
            lease = await asyncio.to_thread(leases.read, schema, call_id)
            if lease is not None and lease.worker != self.worker_id and not message.get("forwarded_by"):
                await self.layer.send(lease.channel, {**message, "forwarded_by": self.worker_id})
                return None
            raise MediaError(f"No call {call_id} in this tenant.", code="unknown_call")
        async with call.lock:
            if call.state == "ended":
                raise MediaError(f"Call {call_id} has ended.", code="unknown_call")
            return await self._call_message(call, mtype, message)

    async def _call_message(self, call: Call, mtype: str, message: dict[str, Any]) -> dict[str, Any]:
        base = {"call_id": call.call_id}
        if mtype == "media.peer.offer":
            party = _party(message)
            if message.get("reset"):
                await call.reset(party)
            sdp = await call.offer(party, message.get("sdp"), message.get("sdp_type", "offer"))
            return {"type": "media.peer.answer", **base, "party": party, "sdp": sdp, "sdp_type": "answer"}
        if mtype == "media.peer.candidate":
            party = _party(message)
            await call.candidate(party, message.get("candidate"), message.get("sdpMid"), message.get("sdpMLineIndex"))
            return {"type": "media.ok", **base}
        if mtype == "media.call.answer":
            call.answer()
            return {"type": "media.call.state", **base, "state": call.state}
        if mtype == "media.call.hold":
            if message.get("file"):
                call.hold_clip = await self.clip(call.schema, message.get("file"), "hold", call.video)
            call.hold(_parties(message))
            return {"type": "media.call.state", **base, "state": call.state, "held": sorted(call.held)}
        if mtype == "media.call.resume":
            call.resume(_parties(message))
            return {"type": "media.call.state", **base, "state": call.state, "held": sorted(call.held)}
        if mtype == "media.call.stats":
            return {"type": "media.call.stats", **call.describe()}
        if mtype == "media.call.end":
            return await self.end_call(call, ended_by=str(message.get("ended_by") or ""))
        raise MediaError(f"Unknown request {mtype!r}.", code="unknown_type")

    async def start_call(self, schema: str, call_id: str, message: dict[str, Any]) -> dict[str, Any]:
        video = bool(message.get("video", False))
        record = bool(message.get("recording", False))
        # Resolve the media first: a bad file name refuses the call before anything is claimed.
        ringback = await self.clip(schema, message.get("ringback"), "ringback", video)
        hold = await self.clip(schema, message.get("hold"), "hold", video)
        lease = await asyncio.to_thread(leases.claim, schema, call_id, self.worker_id, self.channel)
        if lease is None:
            owner = await asyncio.to_thread(leases.read, schema, call_id)
            if owner is not None and owner.worker == self.worker_id and (schema, call_id) in self.calls:
                return self._started(self.calls[(schema, call_id)])
            raise MediaError(
                f"Call {call_id} already has a media worker.",
                code="call_owned",
                fields={"owner": [owner.worker if owner else "unknown"]},
            )
        try:
            media = CallMedia(
                spool=self.spool, schema=schema, call_id=call_id, worker=self.worker_id, record=record, video=video
            )
        except Exception:
            await asyncio.to_thread(leases.release, lease)
            raise
        call = Call(schema=schema, call_id=call_id, video=video, media=media, ringback=ringback, hold=hold)
        self.calls[(schema, call_id)] = call
        self.leases[(schema, call_id)] = lease
        return self._started(call)

    def _started(self, call: Call) -> dict[str, Any]:
        return {
            "type": "media.call.started",
            "call_id": call.call_id,
            "channel": self.channel,
            "recording": call.media.record,
            "video": call.video,
        }

    async def end_call(self, call: Call, *, ended_by: str = "") -> dict[str, Any]:
        """Precondition: the caller holds `call.lock`."""
        key = (call.schema, call.call_id)
        self.calls.pop(key, None)
        stats = call.describe()
        await call.close()
        path = call.media.close()
        lease = self.leases.pop(key, None)
        if lease is not None:
            await asyncio.to_thread(leases.release, lease)
        self._count(stats)
        recording = None
        if path is not None:
            recording = await self.store(call.schema, call.call_id, path, complete=True)
        return {
            "type": "media.call.ended",
            "call_id": call.call_id,
            "ended_by": ended_by,
            "recording": recording,
            "stats": stats,
        }

    async def lose_call(self, schema: str, call_id: str, reason: str) -> None:
        call = self.calls.get((schema, call_id))
        if call is None:
            return
        async with call.lock:
            if call.state != "ended":
                await self.end_call(call)
        await self.publish(schema, call_id, {"type": "call.media_lost", "reason": reason})

    def _count(self, stats: dict[str, Any]) -> None:
        self.ended_totals["calls"] += 1
        for stream in stats["received"].values():
            for name in ("frames", "late", "lost"):
                self.ended_totals[name] += stream[name]

    # --- media files ----------------------------------------------------------------------------

    async def clip(self, schema: str, name: Any, purpose: str, video: bool) -> Clip:
        """The tenant's chosen file (a name in the default storage, inside the tenant's own folder),
        or the built-in tone."""
        if not name:
            return await asyncio.to_thread(self.clips.default, purpose, video)
        if not isinstance(name, str) or not name.startswith(f"{schema}/") or ".." in name:
            raise MediaError(f"The {purpose} file must be in the tenant's own storage.", code="forbidden")
        try:
            return await asyncio.to_thread(self._load_stored_clip, name)
        except FileNotFoundError as exc:
            raise MediaError(f"No {purpose} file {name}.", code="not_found") from exc
        except Exception as exc:
            raise MediaError(f"The {purpose} file cannot be played: {exc}", code="bad_media") from exc

    def _load_stored_clip(self, name: str) -> Clip:
        if not default_storage.exists(name):
            raise FileNotFoundError(name)
        try:
            path = Path(default_storage.path(name))
        except NotImplementedError:  # remote storage: keep a local copy to read from
            path = self.spool / "clips" / hashlib.sha1(name.encode()).hexdigest()  # noqa: S324
            path.parent.mkdir(exist_ok=True)
            if not path.exists():
                with default_storage.open(name, "rb") as src, path.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        return self.clips.get(path, name)

    async def store(self, schema: str, call_id: str, path: Path, *, complete: bool) -> dict[str, Any] | None:
        """Store a finished file and announce it; the spool copy goes once it is safely stored."""
        try:
            facts = await asyncio.to_thread(probe, path)
        except Exception:
            logger.exception("Recording of %s/%s is unreadable; dropped", schema, call_id)
            _remove_spool(path)
            return None
        if not any(s for s in facts.streams) or facts.duration <= 0:
            _remove_spool(path)
            return None
        recording = await in_tenant(
            schema,
            actions.do_store_recording,
            schema=schema,
            call_id=call_id,
            path=path,
            duration=facts.duration,
            size=facts.size,
            streams=facts.streams,
            complete=complete,
        )
        _remove_spool(path)
        out = {
            "id": recording.pk,
            "name": recording.file.name,
            "duration": recording.duration,
            "size": recording.size,
            "streams": recording.streams,
            "complete": recording.complete,
        }
        await self.publish(schema, call_id, {"type": "call.recording_ready", "recording": out})
        return out

    async def recover_spool(self) -> None:
        """Finalise recordings left by workers that died (on this machine, this deployment)."""
        for manifest in sorted(self.spool.glob("*.json")):
            try:
                meta = json.loads(manifest.read_text())
                worker = str(meta["worker"])
                if worker == self.worker_id or await asyncio.to_thread(_exists, media_worker_key(worker)):
                    continue
                schema, call_id = str(meta["schema"]), str(meta["call_id"])
                src = manifest.with_suffix(".webm")
                fixed = manifest.with_suffix(".recovered.webm")
                logger.warning("Recovering the recording of call %s/%s left by %s", schema, call_id, worker)
                if src.exists() and await asyncio.to_thread(remux, src, fixed):
                    src.unlink(missing_ok=True)
                    fixed.replace(src)
                    await self.store(schema, call_id, src, complete=False)
                else:
                    fixed.unlink(missing_ok=True)
                    _remove_spool(src)
            except Exception:
                logger.exception("Could not recover %s", manifest)

    # --- events and stats -----------------------------------------------------------------------

    async def publish(self, schema: str, call_id: str, event: dict[str, Any]) -> None:
        event, group = {**event, "call_id": call_id}, call_group(schema, call_id)
        check_event(schema, event, [group])  # declared in apps/media/events.py
        await self.events.group_send(group, {"type": RELAY, "event": event})

    def worker_stats(self, reset: bool = False) -> dict[str, Any]:
        live = {"frames": 0, "late": 0, "lost": 0}
        for call in self.calls.values():
            for stream in call.media.stats().values():
                for name in live:
                    live[name] += stream[name]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out = {
            "type": "media.worker.stats",
            "calls": len(self.calls),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "rss_bytes": _rss_bytes(),
            "max_loop_lag_ms": round(self.max_lag * 1000, 1),
            "live": live,
            "ended": dict(self.ended_totals),
        }
        if reset:
            self.max_lag = 0.0
        return out


def _party(message: dict[str, Any]) -> str:
    party = message.get("party")
    if party not in PARTIES:
        raise MediaError("party must be 'customer' or 'agent'.", code="invalid_party")
    return str(party)


def _parties(message: dict[str, Any]) -> list[str]:
    parties = message.get("parties") or ["customer"]
    if not isinstance(parties, list) or any(p not in PARTIES for p in parties):
        raise MediaError("parties must be a list of 'customer' and 'agent'.", code="invalid_party")
    return [str(p) for p in parties]


def _exists(key: str) -> bool:
    return bool(get_redis().exists(key))


def _remove_spool(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)
