"""Benchmark: concurrent recorded calls per CPU core on one media worker.

Run by hand (not a test); it starts the benchmarks' own embedded PostgreSQL and Redis (or uses
BENCH_DATABASE_URL / BENCH_REDIS_URL) and migrates them, as the other benchmarks do:

    .venv/bin/python benchmarks/media_calls.py --audio 25,50,75,100 --video 4,8,16 --relay 5,10 --seconds 60

What it does:
- starts one real media worker (`manage.py media_worker`), pinned to CPU 0; this process (the
  simulated customers and agents, aiortc peers) is pinned to the other CPUs;
- for each level, starts N recorded calls through the channel layer, exactly as the signaling
  consumers will: each call is a customer and an agent peer that both send Opus (and 640x360 VP8 for
  video calls) to the worker, which records it; the media between customer and agent is peer to peer
  and not part of the worker's load;
- measures over `--seconds` (after a warm-up): the worker's CPU (fraction of a core), RSS, and, from
  each call's own statistics at the worker, how many calls connected (both parties' media reached the
  worker) and the frames it received against those expected (the window's length times the clip's
  frame rate, per party and kind): a frame that never arrived, from a call that never connected as
  much as from a gap, counts as lost; late is more than 60 ms behind its RTP schedule. A level
  passes only if every call connected and lost + late stay under 1 % of the expected frames;
- the floor, in the same run on the same CPU: a bare aiortc loopback (two peers in one process, one
  sending a pre-encoded stream of the same clip, the other receiving it without decoding), as CPU
  per stream-second; each level's CPU per call is also given as a ratio to the floor of the streams
  the worker receives for a call (these machines differ by 2x in absolute speed);
- `--relay` levels measure the naive alternative on the same machine: a server that receives both
  legs, decodes each and re-encodes it to the other party (aiortc's default path), no recording.
The simulated peers send pre-encoded packets, so their own cost stays small and is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.routing import setup_env  # noqa: E402

setup_env()

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402

from apps.core.keys import redis_key  # noqa: E402
from apps.core.redis import get_redis  # noqa: E402
from apps.media.engine.clips import Clip, load_clip, write_tone_clip  # noqa: E402
from apps.media.engine.tracks import OutgoingTrack  # noqa: E402
from apps.media.protocol import request_media  # noqa: E402

SCHEMA = "bench_media"
# channels_redis has a bounded connection pool: keep the simulated signaling within it.
SIGNALING = asyncio.Semaphore(8)


async def ask_worker(message: dict[str, Any], timeout: float, channel: str) -> dict[str, Any]:
    async with SIGNALING:
        return await request_media(SCHEMA, message, timeout, channel)


# --- setup -----------------------------------------------------------------------------------------


def ensure_tenant() -> None:
    from django.core.management import call_command
    from django_tenants.utils import schema_exists

    from apps.tenants.models import Tenant

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    if not schema_exists(SCHEMA):  # a row left by an interrupted run would make migrate_schemas fail
        Tenant.objects.filter(schema_name=SCHEMA).delete()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    if not schema_exists(SCHEMA):
        tenant = Tenant(schema_name=SCHEMA, name="Media benchmark")
        tenant.save()
        tenant.create_schema(check_if_exists=True)  # Tenant does not create its schema on save


def make_clips(folder: Path) -> tuple[Clip, Clip]:
    import av

    folder.mkdir(parents=True, exist_ok=True)
    audio_path = folder / "voice.webm"
    if not audio_path.exists():
        write_tone_clip(audio_path, seconds=5, video=False, tone="sine=frequency=300")
    video_path = folder / "video360.webm"
    if not video_path.exists():
        out = av.open(str(video_path), "w", format="webm")
        stream = out.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.bit_rate = 800_000
        stream.options = {"g": "60", "deadline": "realtime"}
        with av.open("testsrc=size=640x360:rate=30:duration=10", format="lavfi") as src:
            for frame in src.decode(video=0):
                out.mux(stream.encode(frame.reformat(format="yuv420p")))
        out.mux(stream.encode(None))
        out.close()
    voice = load_clip(audio_path, "voice")
    video = load_clip(video_path, "video")
    video.audio = voice.audio
    return voice, video


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the simulated parties -----------------------------------------------------------------------


class Peer:
    def __init__(self, clip: Clip, video: bool) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks = [OutgoingTrack("audio")] + ([OutgoingTrack("video")] if video else [])
        for track in self.tracks:
            track.play(clip)
            self.pc.addTrack(track)
        self.tasks: list[asyncio.Future[None]] = []

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.append(asyncio.ensure_future(_drain(track)))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


async def _drain(track: MediaStreamTrack) -> None:
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        pass


async def start_worker_call(channel: str, call_id: str, clip: Clip, video: bool) -> list[Peer]:
    reply = await ask_worker(
        {"type": "media.call.start", "call_id": call_id, "recording": True, "video": video}, 20, channel
    )
    assert reply["type"] == "media.call.started", reply
    peers = []
    for party in ("customer", "agent"):
        peer = Peer(clip, video)
        msg = {"type": "media.peer.offer", "call_id": call_id, "party": party, "sdp": await peer.offer()}
        answer = await ask_worker(msg, 30, channel)
        assert answer["type"] == "media.peer.answer", answer
        await peer.answer(answer["sdp"])
        peers.append(peer)
    await ask_worker({"type": "media.call.answer", "call_id": call_id}, 20, channel)
    return peers


async def worker_stats(channel: str) -> dict[str, Any]:
    return await ask_worker({"type": "media.worker.stats", "reset": True}, 20, channel)


def frame_rate(clip: Clip, kind: str) -> float:
    """Frames per second of the clip's `kind`, from its packets' durations."""
    packets = clip.packets(kind)
    clock = 48000 if kind == "audio" else 90000
    return len(packets) * clock / sum(p.duration for p in packets)


async def call_stats(channel: str, call_ids: list[str]) -> dict[str, tuple[float, dict[str, Any]]]:
    """Each call's statistics at the worker, with the time they were read."""

    async def one(cid: str) -> tuple[str, tuple[float, dict[str, Any]]]:
        stats = await ask_worker({"type": "media.call.stats", "call_id": cid}, 30, channel)
        return cid, (time.monotonic(), stats)

    return dict(await asyncio.gather(*(one(cid) for cid in call_ids)))


def sent_frames(peers: list[Peer]) -> int:
    return sum(track.sent for peer in peers for track in peer.tracks)


async def run_worker_level(
    worker: subprocess.Popen[bytes],
    channel: str,
    n: int,
    clip: Clip,
    video: bool,
    seconds: float,
    floor: dict[str, float],
) -> dict[str, Any]:
    idle_rss = proc_rss(worker.pid)
    calls: dict[str, list[Peer]] = {}
    ids = [f"b{uuid.uuid4().hex[:10]}" for _ in range(n)]
    failed_to_start = 0
    for batch in range(0, n, 10):
        chunk = ids[batch : batch + 10]
        results = await asyncio.gather(
            *(start_worker_call(channel, cid, clip, video) for cid in chunk), return_exceptions=True
        )
        for cid, result in zip(chunk, results, strict=True):
            if isinstance(result, BaseException):
                failed_to_start += 1
                print(f"# call {cid} did not start: {result!r}", flush=True)
            else:
                calls[cid] = result
    await asyncio.sleep(5)  # warm-up: every peer connected and sending
    kinds = ["audio", "video"] if video else ["audio"]
    rates = {kind: frame_rate(clip, kind) for kind in kinds}
    s0 = await worker_stats(channel)
    before = await call_stats(channel, list(calls))
    g_sent0 = {cid: sent_frames(peers) for cid, peers in calls.items()}
    c0, g0, t0 = proc_cpu_seconds(worker.pid), time.process_time(), time.monotonic()
    load0 = loadavg()
    await asyncio.sleep(seconds)
    after = await call_stats(channel, list(calls))
    g_sent = sum(sent_frames(peers) - g_sent0[cid] for cid, peers in calls.items())
    s1 = await worker_stats(channel)
    c1, g1, t1 = proc_cpu_seconds(worker.pid), time.process_time(), time.monotonic()
    rss = proc_rss(worker.pid)
    ended = await asyncio.gather(
        *(ask_worker({"type": "media.call.end", "call_id": cid}, 60, channel) for cid in calls),
        return_exceptions=True,
    )
    for peers in calls.values():
        for peer in peers:
            await peer.close()
    recorded = [e["recording"] for e in ended if isinstance(e, dict) and e.get("recording")]
    wall = t1 - t0
    # Expected: every party of every call asked for, sending each kind at the clip's rate for the
    # window each call's statistics span. Received: what the worker's recorder counted meanwhile.
    expected = received = late = gaps = connected = 0
    for cid in ids:
        if cid not in calls:
            expected += int(2 * sum(rates.values()) * wall)
            continue
        (ta, sa), (tb, sb) = before[cid], after[cid]
        got = {
            key: sb["received"][key]["frames"] - sa["received"][key]["frames"]
            for key in (f"{party}.{kind}" for party in ("customer", "agent") for kind in kinds)
        }
        expected += int(2 * sum(rates.values()) * (tb - ta))
        received += sum(got.values())
        late += sum(sb["received"][k]["late"] - sa["received"][k]["late"] for k in got)
        gaps += sum(sb["received"][k]["lost"] - sa["received"][k]["lost"] for k in got)
        connected += all(v > 0 for v in got.values())
    lost = max(0, expected - received)
    cpu = (c1 - c0) / wall
    per_call_floor = 2 * (floor["audio"] + (floor["video"] if video else 0.0))
    ok = connected == n and expected > 0 and (lost + late) <= 0.01 * expected
    return {
        "calls": n,
        "video": video,
        "level": "PASS" if ok else "FAIL",
        "calls_connected": connected,
        "calls_failed_to_start": failed_to_start,
        "seconds": round(wall, 1),
        "worker_cpu_core": round(cpu, 3),
        "cpu_ms_per_call_s": round(cpu * 1000 / n, 2),
        "floor_cpu_ms_per_call_s": round(per_call_floor, 2),
        "ratio_to_floor": round(cpu * 1000 / n / per_call_floor, 2) if per_call_floor else None,
        "calls_per_core_at_this_cost": round(n / cpu, 1) if cpu else None,
        "worker_rss_mb": round(rss / 2**20, 1),
        "rss_mb_per_call": round((rss - idle_rss) / 2**20 / n, 2),
        "expected_frames": expected,
        "sent_frames": g_sent,
        "received_frames": received,
        "lost": lost,
        "lost_pct": round(100 * lost / expected, 2) if expected else None,
        "of_which_gaps": gaps,
        "late": late,
        "late_pct": round(100 * late / expected, 2) if expected else None,
        "worker_live_frames": s1["live"]["frames"] - s0["live"]["frames"],
        "max_loop_lag_ms": s1["max_loop_lag_ms"],
        "generator_cpu_core": round((g1 - g0) / wall, 3),
        "recordings": len(recorded),
        "recording_mb": round(sum(r["size"] for r in recorded) / 2**20, 1),
        "loadavg": f"{load0} -> {loadavg()}",
    }


# --- the floor: a bare aiortc loopback -------------------------------------------------------------


class CountQueue:
    """Stands in for a receiver's decoder queue: counts the frames, decodes nothing."""

    def __init__(self) -> None:
        self.frames = 0
        import queue

        self._inner: Any = queue.Queue()

    def put(self, item: Any) -> None:
        if item is None:
            self._inner.put(None)
        else:
            self.frames += 1

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get(*args, **kwargs)


def loopback_server(conn: Any, cpu: int | None, clip: Clip, kind: str, streams: int, seconds: float) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> dict[str, Any]:
        pairs: list[tuple[RTCPeerConnection, RTCPeerConnection, OutgoingTrack]] = []
        counters: list[CountQueue] = []
        for _ in range(streams):
            a, b = (
                RTCPeerConnection(RTCConfiguration(iceServers=[])),
                RTCPeerConnection(RTCConfiguration(iceServers=[])),
            )
            track = OutgoingTrack(kind)
            track.play(clip)
            a.addTrack(track)

            @b.on("track")
            def on_track(t: MediaStreamTrack, b: RTCPeerConnection = b) -> None:
                counter = CountQueue()
                counters.append(counter)
                for transceiver in b.getTransceivers():
                    if transceiver.receiver.track is t:
                        transceiver.receiver._RTCRtpReceiver__decoder_queue = counter  # type: ignore[attr-defined]

            await a.setLocalDescription(await a.createOffer())
            await b.setRemoteDescription(a.localDescription)
            await b.setLocalDescription(await b.createAnswer())
            await a.setRemoteDescription(b.localDescription)
            pairs.append((a, b, track))
        await asyncio.sleep(3)  # warm-up: connected and sending
        sent0, got0 = sum(t.sent for _, _, t in pairs), sum(c.frames for c in counters)
        u0, w0 = os.times(), time.monotonic()
        await asyncio.sleep(seconds)
        u1, w1 = os.times(), time.monotonic()
        sent, got = sum(t.sent for _, _, t in pairs) - sent0, sum(c.frames for c in counters) - got0
        for a, b, _ in pairs:
            await a.close()
            await b.close()
        cpu = (u1.user + u1.system - u0.user - u0.system) / (w1 - w0)
        return {"cpu_core": cpu, "sent": sent, "received": got, "seconds": w1 - w0}

    conn.send(asyncio.run(main()))


def run_floor(clip: Clip, kind: str, streams: int, seconds: float, cpu: int | None) -> dict[str, Any]:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=loopback_server, args=(child, cpu, clip, kind, streams, seconds))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join(30)
    per_stream = result["cpu_core"] * 1000 / streams
    out = {
        "floor": f"bare aiortc loopback, {streams} {kind} streams sent and received in one process, no decoding",
        "kind": kind,
        "streams": streams,
        "cpu_core": round(result["cpu_core"], 3),
        "cpu_ms_per_stream_s": round(per_stream, 2),
        "frames_sent": result["sent"],
        "frames_received": result["received"],
        "loadavg": loadavg(),
    }
    return out


# --- the naive relay, for comparison ---------------------------------------------------------------


class ForwardTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=10)

    async def recv(self) -> Any:
        return await self.queue.get()


def relay_server(conn: Any, cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        calls: dict[str, dict[str, Any]] = {}
        pcs: list[RTCPeerConnection] = []
        pumps: list[asyncio.Future[None]] = []
        while True:
            request = await loop.run_in_executor(None, conn.recv)
            if request is None:
                break
            if request == "cpu":
                usage = os.times()
                conn.send(usage.user + usage.system)
                continue
            call_id, party, sdp = request
            call = calls.setdefault(call_id, {"customer": ForwardTrack(), "agent": ForwardTrack()})
            other = "agent" if party == "customer" else "customer"
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pcs.append(pc)

            @pc.on("track")
            def on_track(track: MediaStreamTrack, other: str = other, call: dict[str, Any] = call) -> None:
                async def pump() -> None:
                    try:
                        while True:
                            frame = await track.recv()  # decoded here ...
                            if not call[other].queue.full():
                                call[other].queue.put_nowait(frame)  # ... and re-encoded by the other sender
                    except MediaStreamError:
                        pass

                pumps.append(asyncio.ensure_future(pump()))

            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            pc.addTrack(call[party])
            await pc.setLocalDescription(await pc.createAnswer())
            conn.send(pc.localDescription.sdp)
        for pc in pcs:
            await pc.close()

    asyncio.run(main())


async def run_relay_level(
    n: int, clip: Clip, seconds: float, cpu: int | None, floor: dict[str, float]
) -> dict[str, Any]:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=relay_server, args=(child, cpu))
    proc.start()
    lock = asyncio.Lock()
    loop = asyncio.get_running_loop()

    async def ask(request: Any) -> Any:
        async with lock:
            parent.send(request)
            return await loop.run_in_executor(None, parent.recv)

    peers = []
    for i in range(n):
        for party in ("customer", "agent"):
            peer = Peer(clip, False)
            await peer.answer(await ask((f"r{i}", party, await peer.offer())))
            peers.append(peer)
    await asyncio.sleep(5)
    c0, t0 = await ask("cpu"), time.monotonic()
    await asyncio.sleep(seconds)
    c1, t1 = await ask("cpu"), time.monotonic()
    rss = proc_rss(proc.pid)
    parent.send(None)
    for peer in peers:
        await peer.close()
    proc.join(10)
    cpu_core = (c1 - c0) / (t1 - t0)
    return {
        "calls": n,
        "path": "relay (decode + re-encode both legs, no recording)",
        "worker_cpu_core": round(cpu_core, 3),
        "cpu_ms_per_call_s": round(cpu_core * 1000 / n, 2),
        "floor_cpu_ms_per_call_s": round(2 * floor["audio"], 2),
        "ratio_to_floor": round(cpu_core * 1000 / n / (2 * floor["audio"]), 2) if floor["audio"] else None,
        "calls_per_core_at_this_cost": round(n / cpu_core, 1),
        "rss_mb": round(rss / 2**20, 1),
        "loadavg": loadavg(),
    }


# --- main ----------------------------------------------------------------------------------------


def start_worker(cpu: int | None) -> tuple[subprocess.Popen[bytes], str]:
    r = get_redis()
    pattern = redis_key("public", "media", "worker") + ":*"
    before = set(r.scan_iter(match=pattern))
    log = open(ROOT / ".data" / "bench-media-worker.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "media_worker", "--skip-checks"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for key in set(r.scan_iter(match=pattern)) - before:
            data = json.loads(r.get(key) or "{}")
            if data.get("channel") and str(proc.pid) in data.get("id", ""):
                return proc, data["channel"]
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("media worker did not start; see .data/bench-media-worker.log")


def levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    voice, video = make_clips(ROOT / ".data" / "bench-media")
    ncpu = os.cpu_count() or 1
    worker_cpu = 0 if ncpu > 1 else None
    if worker_cpu is not None:
        os.sched_setaffinity(0, set(range(1, ncpu)))
    results: list[dict[str, Any]] = []
    # The floor, on the CPU the worker and the relay get: CPU per stream-second of a bare loopback.
    floor = {"audio": 0.0, "video": 0.0}
    kinds = ["audio"] + (["video"] if levels(args.video) else [])
    for kind in kinds:
        measured = run_floor(
            video if kind == "video" else voice, kind, args.floor_streams, args.floor_seconds, worker_cpu
        )
        floor[kind] = measured["cpu_ms_per_stream_s"]
        results.append(measured)
        print(json.dumps(measured), flush=True)
    for n in levels(args.relay):
        results.append(await run_relay_level(n, voice, args.seconds, worker_cpu, floor))
        print(json.dumps(results[-1]), flush=True)
    worker, channel = start_worker(worker_cpu)
    try:
        for n in levels(args.audio):
            results.append(await run_worker_level(worker, channel, n, voice, False, args.seconds, floor))
            print(json.dumps(results[-1]), flush=True)
        for n in levels(args.video):
            results.append(await run_worker_level(worker, channel, n, video, True, args.seconds, floor))
            print(json.dumps(results[-1]), flush=True)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", default="25,50,75,100", help="levels of concurrent recorded audio calls")
    parser.add_argument("--video", default="4,8,16", help="levels of concurrent recorded 640x360 video calls")
    parser.add_argument("--relay", default="5,10", help="levels of naive relayed audio calls")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--floor-streams", type=int, default=10, help="streams in the bare loopback floor")
    parser.add_argument("--floor-seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"# nproc={os.cpu_count()} cpu={cpu_model()} load={loadavg()} python={platform.python_version()}")
    print("# " + " ".join(sys.argv), flush=True)
    ensure_tenant()
    asyncio.run(main(args))
