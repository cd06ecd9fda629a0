"""Socket clients for call tests: a widget (customer) or desktop (agent) socket on the real daphne, a
reader that keeps every frame, and in-process aiortc peers for the two media paths a browser opens:
peer to peer with the other party (signaling relayed by the server), and its own leg to the media
worker (`call.media`)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from django.test import Client

from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter
from tests.ws import open_ws

from .peers import ToneTrack

SHOP = "http://127.0.0.1:9"


@dataclass
class Sock:
    ws: Any
    frames: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def start(self) -> Sock:
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
        except Exception:
            pass

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def wait(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next frame of `type_` (whose fields equal `match`) not yet taken."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for n, frame in enumerate(self.frames):
                if frame.get("type") == type_ and all(_get(frame, k) == v for k, v in match.items()):
                    return self.frames.pop(n)
            await asyncio.sleep(0.02)
        raise AssertionError(f"No {type_} {match} within {timeout}s; frames: {self.frames[-8:]}")

    def taken(self, type_: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == type_]

    async def close(self) -> None:
        await self.ws.close()
        if self.reader:
            self.reader.cancel()


def _get(frame: dict[str, Any], path: str) -> Any:
    value: Any = frame
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


async def customer_socket(web: WebServer, cc: ContactCenter, subdomain: str | None = None) -> Sock:
    host = f"{subdomain or cc.info.subdomain}.localhost"
    ws = await open_ws(web.port, host, path="/ws/widget/", origin=f"http://{host}:{web.port}")
    sock = Sock(ws).start()
    await sock.send(type="hello", key=cc.key.public_key, origin=SHOP, page={"url": f"{SHOP}/claims"})
    await sock.wait("welcome")
    return sock


def login_cookie(cc: ContactCenter, n: int) -> str:
    client = Client(HTTP_HOST=cc.info.host)
    client.post("/login/", {"username": f"agent{n}@{cc.info.subdomain}.test", "password": PASSWORD})
    return f"sessionid={client.cookies['sessionid'].value}"


async def agent_socket(web: WebServer, cc: ContactCenter, cookie: str, available: bool = True) -> Sock:
    sock = Sock(await open_ws(web.port, cc.info.host, cookie=cookie)).start()
    await sock.wait("hello")
    if available:
        await sock.send(type="agent.set_state", state="available")
        await sock.wait("agent.state.ok")
    return sock


class Counter:
    """Counts the frames of every track a peer connection receives."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.received = {"audio": 0, "video": 0}
        self.tasks: list[asyncio.Future[None]] = []

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.append(asyncio.ensure_future(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.received[track.kind] += 1
        except MediaStreamError:
            pass


def new_pc() -> tuple[RTCPeerConnection, Counter]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    counter = Counter(pc)
    pc.addTrack(ToneTrack())
    return pc, counter


async def media_leg(sock: Sock, call_id: str, video: bool = False) -> tuple[RTCPeerConnection, Counter]:
    """The browser's own leg to the media worker (on a video call, with a video transceiver too, as
    the browser makes: the worker's ringback and hold video come back on it)."""
    pc, counter = new_pc()
    if video:
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    await sock.send(type="call.media", call_id=call_id, description={"type": "offer", "sdp": pc.localDescription.sdp})
    answer = await sock.wait("call.media.answer", call_id=call_id)
    await pc.setRemoteDescription(RTCSessionDescription(**answer["description"]))
    return pc, counter


async def p2p(offerer: Sock, offerer_party: str, answerer: Sock, answerer_party: str, call_id: str) -> Any:
    """Connect two parties directly, their offer and answer relayed by the server."""
    a, a_count = new_pc()
    b, b_count = new_pc()
    await a.setLocalDescription(await a.createOffer())
    await offerer.send(
        type="call.signal",
        call_id=call_id,
        to=answerer_party,
        description={"type": "offer", "sdp": a.localDescription.sdp},
    )
    got = await answerer.wait("call.signal", call_id=call_id)
    assert got["from"] == offerer_party
    await b.setRemoteDescription(RTCSessionDescription(**got["description"]))
    await b.setLocalDescription(await b.createAnswer())
    await answerer.send(
        type="call.signal",
        call_id=call_id,
        to=offerer_party,
        description={"type": "answer", "sdp": b.localDescription.sdp},
    )
    back = await offerer.wait("call.signal", call_id=call_id)
    await a.setRemoteDescription(RTCSessionDescription(**back["description"]))
    return (a, a_count), (b, b_count)
