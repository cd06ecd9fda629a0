"""The media engine through the real channel layer and real media worker processes, with in-process
aiortc peers standing in for the customer's and agent's browsers."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import av
import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context

from apps.media.engine.config import spool_dir
from apps.media.engine.engine import call_group
from apps.media.models import Recording
from tests.conftest import TenantInfo
from tests.processes import Proc, python
from tests.ws import run_async

from .peers import (
    Party,
    call,
    frames_from,
    grows,
    listen,
    next_event,
    wait_for,
    wait_for_stats,
    worker_channels,
    worker_stops_sending,
)


def new_call_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def streams_of(name: str) -> list[tuple[str, str, str]]:
    with av.open(default_storage.path(name)) as container:
        return [(s.type, s.codec_context.name, s.metadata.get("title", "")) for s in container.streams]


def spooled_seconds(schema: str, call_id: str) -> float:
    """How much audio a running call's recording holds on disk so far (0 while nothing is readable)."""
    path = spool_dir() / f"{schema}__{call_id}.webm"
    last = 0.0
    try:
        with av.open(str(path)) as container:
            for packet in container.demux(container.streams.audio[0]):
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float(packet.pts * packet.time_base))
    except (av.FFmpegError, OSError, IndexError, EOFError):
        pass  # not written yet, or a cluster half flushed: what was read so far counts
    return last


def duration_of(name: str) -> float:
    with av.open(default_storage.path(name)) as container:
        return (container.duration or 0) / 1_000_000


class ExtraWorker:
    """A media worker of the test's own, to stop or kill without touching the session's one."""

    def __init__(self) -> None:
        self.before = set(worker_channels())
        self.proc = Proc(f"media-extra-{uuid.uuid4().hex[:4]}", python("manage.py", "media_worker"))

    def start(self) -> ExtraWorker:
        self.proc.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            fresh = set(worker_channels()) - self.before
            if fresh:
                self.id = fresh.pop()
                self.channel = worker_channels()[self.id]
                return self
            assert self.proc.running, self.proc.log_path.read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError("extra media worker did not start")


@pytest.fixture
def extra_worker(media_worker: Any) -> Iterator[ExtraWorker]:
    worker = ExtraWorker().start()
    yield worker
    worker.proc.stop(sig=signal.SIGKILL)


@pytest.fixture
def session_channel(media_worker: Any) -> str:
    # The session worker: the one that was there before any extra worker.
    return next(iter(worker_channels().values()))


def test_audio_call_ringback_hold_resume_end_and_recording(media_worker: Any, tenant_a: TenantInfo) -> None:
    schema, call_id = tenant_a.schema_name, new_call_id()

    async def scenario() -> tuple[dict[str, Any], tuple[float, float]]:
        layer, channel = await listen(call_group(schema, call_id))
        asked = time.monotonic()
        started = await call(schema, call_id, "media.call.start", recording=True, video=False)
        t0 = time.monotonic()
        assert started["type"] == "media.call.started", started
        customer, agent = Party("customer"), Party("agent")
        try:
            await customer.connect(schema, call_id)
            # Queued: the customer hears ringback from the worker.
            await grows(customer.received, "audio", 25, "ringback at the customer")
            await agent.connect(schema, call_id)
            assert (await call(schema, call_id, "media.call.answer"))["state"] == "answered"
            await worker_stops_sending(schema, call_id, "customer", customer.received, "ringback stops on answer")
            held = await call(schema, call_id, "media.call.hold")
            assert (held["state"], held["held"]) == ("held", ["customer"])
            await grows(customer.received, "audio", 30, "hold music at the customer")
            assert agent.received["audio"] == 0  # the agent hears nothing from the worker
            assert (await call(schema, call_id, "media.call.resume"))["state"] == "answered"
            await worker_stops_sending(schema, call_id, "customer", customer.received, "hold music stops on resume")
            # Long enough for the recording's length to mean something: 5 s of the customer's audio
            # and 1 s of the agent's reached the worker (frames are sent in real time).
            stats = await wait_for_stats(
                schema,
                call_id,
                lambda s: frames_from(s, "customer") >= 250 and frames_from(s, "agent") >= 50,
                "both parties' audio at the worker",
            )
            assert stats["sent"]["agent"]["audio"] == 0, stats
            ending = time.monotonic()
            ended = await call(schema, call_id, "media.call.end", ended_by="agent")
            ended_at = time.monotonic()
            assert ended["type"] == "media.call.ended", ended
            ready = await next_event(layer, channel, "call.recording_ready", 5)
            assert ready["recording"]["name"] == ended["recording"]["name"]
        finally:
            await customer.close()
            await agent.close()
        # The call is gone from every worker.
        gone = await call(schema, call_id, "media.call.stats")
        assert (gone["type"], gone["code"]) == ("media.error", "unknown_call")
        # The recording spans the call: at least from the start's reply to the end's request (less
        # what is in flight: 0.5 s on a loaded machine), at most from the start's request to the end's
        # reply (plus the first frame's lag).
        return ended, (ending - t0 - 0.5, ended_at - asked + 0.5)

    ended, (shortest, longest) = run_async(scenario())
    recording = ended["recording"]
    assert recording["name"] == f"{schema}/recordings/{call_id}.webm"
    assert shortest <= recording["duration"] <= longest, (recording, shortest, longest)
    assert streams_of(recording["name"]) == [("audio", "opus", "customer"), ("audio", "opus", "agent")]
    assert shortest <= duration_of(recording["name"]) <= longest
    assert default_storage.size(recording["name"]) == recording["size"] > 1000
    with schema_context(schema):
        row = Recording.objects.get(call_id=call_id)
        assert (row.file.name, row.complete, row.size) == (recording["name"], True, recording["size"])


def test_video_call_sends_ringback_video_and_records_both_videos(media_worker: Any, tenant_a: TenantInfo) -> None:
    schema, call_id = tenant_a.schema_name, new_call_id()

    async def scenario() -> tuple[dict[str, Any], tuple[float, float]]:
        asked = time.monotonic()
        started = await call(schema, call_id, "media.call.start", recording=True, video=True)
        t0 = time.monotonic()
        assert started["video"] is True
        customer, agent = Party("customer", video=True), Party("agent", video=True)
        try:
            await customer.connect(schema, call_id)
            await agent.connect(schema, call_id)
            await grows(customer.received, "video", 10, "ringback video at the customer")
            await call(schema, call_id, "media.call.answer")
            # 3 s of both parties' audio and over 20 video frames of each reached the worker.
            await wait_for_stats(
                schema,
                call_id,
                lambda s: (
                    min(frames_from(s, p) for p in ("customer", "agent")) >= 150
                    and min(frames_from(s, p, "video") for p in ("customer", "agent")) > 20
                ),
                "both parties' audio and video at the worker",
            )
            ending = time.monotonic()
            ended = await call(schema, call_id, "media.call.end")
            ended_at = time.monotonic()
        finally:
            await customer.close()
            await agent.close()
        return ended, (ending - t0 - 0.5, ended_at - asked + 0.5)

    ended, (shortest, longest) = run_async(scenario())
    assert streams_of(ended["recording"]["name"]) == [
        ("audio", "opus", "customer"),
        ("audio", "opus", "agent"),
        ("video", "vp8", "customer"),
        ("video", "vp8", "agent"),
    ]
    assert shortest <= ended["recording"]["duration"] <= longest, (ended["recording"], shortest, longest)
    received = ended["stats"]["received"]
    assert received["customer.video"]["frames"] > 20 and received["agent.video"]["frames"] > 20, received


def test_malformed_sdp_and_candidates_get_errors_and_the_call_goes_on(media_worker: Any, tenant_a: TenantInfo) -> None:
    schema, call_id = tenant_a.schema_name, new_call_id()

    async def scenario() -> None:
        await call(schema, call_id, "media.call.start", recording=False)
        for sdp in ["not sdp", "v=0\r\nm=audio banana\r\n", None, 42]:
            reply = await call(schema, call_id, "media.peer.offer", party="customer", sdp=sdp)
            assert (reply["type"], reply["code"]) == ("media.error", "invalid_sdp"), reply
        reply = await call(schema, call_id, "media.peer.offer", party="boss", sdp="v=0")
        assert reply["code"] == "invalid_party"
        reply = await call(schema, call_id, "media.peer.candidate", party="customer", candidate="candidate:1 1 udp")
        assert reply["code"] == "no_peer"
        customer = Party("customer")
        try:
            await customer.connect(schema, call_id)
            for bad in ["candidate:garbage", "candidate:1 1 udp x 1.2.3.4 9 typ host", 17]:
                reply = await call(
                    schema, call_id, "media.peer.candidate", party="customer", candidate=bad, sdpMLineIndex=0
                )
                assert (reply["type"], reply["code"]) == ("media.error", "invalid_candidate"), reply
            good = "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"
            reply = await call(schema, call_id, "media.peer.candidate", party="customer", candidate=good, sdpMid="0")
            assert reply["type"] == "media.ok", reply
            # Still a live call: ringback keeps flowing to the customer.
            await grows(customer.received, "audio", 25, "ringback after the bad messages")
        finally:
            await customer.close()
        assert (await call(schema, call_id, "media.call.end"))["recording"] is None

    run_async(scenario())


def test_another_tenant_cannot_touch_a_call(media_worker: Any, tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    call_id = new_call_id()

    async def scenario() -> None:
        await call(tenant_a.schema_name, call_id, "media.call.start", recording=False)
        for mtype in ["media.call.hold", "media.call.end", "media.call.stats"]:
            reply = await call(tenant_b.schema_name, call_id, mtype)
            assert (reply["type"], reply["code"]) == ("media.error", "unknown_call"), reply
        reply = await call(tenant_b.schema_name, call_id, "media.peer.offer", party="customer", sdp="v=0\r\n")
        assert reply["code"] == "unknown_call"
        # B may not play A's files either.
        reply = await call(
            tenant_b.schema_name, new_call_id(), "media.call.start", ringback=f"{tenant_a.schema_name}/ring.webm"
        )
        assert reply["code"] == "forbidden"
        stats = await call(tenant_a.schema_name, call_id, "media.call.stats")
        assert (stats["type"], stats["state"]) == ("media.call.stats", "queued")
        await call(tenant_a.schema_name, call_id, "media.call.end")

    run_async(scenario())


def test_a_second_worker_ignores_a_call_the_first_owns(
    session_channel: str, extra_worker: ExtraWorker, tenant_a: TenantInfo
) -> None:
    schema, call_id = tenant_a.schema_name, new_call_id()

    async def scenario() -> None:
        started = await call(schema, call_id, "media.call.start", channel=session_channel, recording=False)
        owner = started["worker"]
        assert owner != extra_worker.id
        again = await call(schema, call_id, "media.call.start", channel=extra_worker.channel)
        assert (again["type"], again["code"], again["fields"]["owner"]) == ("media.error", "call_owned", [owner])
        # A call message that reaches the other worker is handled by the owner, not by it.
        held = await call(schema, call_id, "media.call.hold", channel=extra_worker.channel)
        assert (held["type"], held["worker"]) == ("media.call.state", owner)
        stats = await call(schema, "x", "media.worker.stats", channel=extra_worker.channel)
        assert stats["calls"] == 0
        await call(schema, call_id, "media.call.end")

    run_async(scenario())


def test_worker_death_mid_call_publishes_media_lost_and_recovers_the_recording(
    extra_worker: ExtraWorker, tenant_a: TenantInfo
) -> None:
    schema, call_id = tenant_a.schema_name, new_call_id()

    async def scenario() -> tuple[float, dict[str, Any]]:
        layer, channel = await listen(call_group(schema, call_id))
        started = await call(schema, call_id, "media.call.start", channel=extra_worker.channel, recording=True)
        assert started["worker"] == extra_worker.id
        customer = Party("customer")
        try:
            await customer.connect(schema, call_id)
            await grows(customer.received, "audio", 50, "ringback at the customer")
            # The recording's clusters (1 s each) reach the disk: what a surviving worker can recover.
            await wait_for(lambda: spooled_seconds(schema, call_id) >= 1.5, 20, "1.5 s of audio in the spool file")
            extra_worker.proc.stop(sig=signal.SIGKILL)
            killed = time.monotonic()
            lost = await next_event(layer, channel, "call.media_lost", 15)
            noticed = time.monotonic() - killed
            assert lost["reason"] == "media_worker_died"
            # The surviving worker finalises what the dead one had written, once its heartbeat is gone.
            ready = await next_event(layer, channel, "call.recording_ready", 40)
        finally:
            await customer.close()
        return noticed, ready["recording"]

    noticed, recording = run_async(scenario())
    assert noticed < 8, noticed
    assert recording["complete"] is False and recording["duration"] > 1
    assert streams_of(recording["name"])[0] == ("audio", "opus", "customer")
