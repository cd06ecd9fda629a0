"""A call between two real browsers: headless Chromium with a fake camera and microphone. The customer
calls from the widget on the shop's page; the agent answers in the desktop; both hear each other
(inbound RTP bytes growing); the agent takes a snapshot of the customer's video; in one-way video
the agent receives no video and the customer does; the agent's drawing reaches the customer; the
recording is stored."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.inbox.models import Attachment
from apps.media.models import Call, CallEvent, Recording
from apps.routing.models import Queue
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, center, desktop, go_available, shop
from tests.processes import wait_until
from tests.ws import run_async

__all__ = ["center", "shop"]  # the fixtures, shared with the chat tests


def widget_frame(page: Any) -> Any:
    wait_until(
        lambda: any("/widget/frame/" in f.url for f in page.frames), 15, "the widget's frame to load", interval=0.1
    )
    return next(f for f in page.frames if "/widget/frame/" in f.url)


# What a page's call looks like from inside (for failure messages): each peer's states, transceivers
# (direction, what is on the sender) and RTP byte counters, the worker leg, the microphone.
CALL_STATE = """async () => {
  const c = window.ccaasCall;
  if (!c) return {call: null};
  const track = (t) => t && [t.kind, t.readyState, t.enabled];
  const out = {party: c.o.party, mode: c.mode, held: c.held, muted: c.muted, mic: track(c.mic),
               worker: c.worker && c.worker.connectionState, peers: {}};
  for (const [k, p] of Object.entries(c.peers)) {
    const rtp = [];
    (await p.pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp") rtp.push(["in", r.kind, r.bytesReceived]);
      if (r.type === "outbound-rtp") rtp.push(["out", r.kind, r.bytesSent]);
    });
    out.peers[k] = {connection: p.pc.connectionState, signaling: p.pc.signalingState, polite: p.polite, rtp,
                    transceivers: p.pc.getTransceivers().map((t) => [t.mid, t.receiver.track.kind, t.direction,
                                                                     t.currentDirection, track(t.sender.track)])};
  }
  return out;
}"""


def call_state(page: Any) -> Any:
    try:
        return page.evaluate(CALL_STATE)
    except Exception as exc:  # the page is gone: say so rather than hide the real failure
        return repr(exc)


def inbound(page: Any, kind: str) -> int:
    """Bytes of `kind` this page's call has received over its peer-to-peer connections."""
    return int(page.evaluate(f"window.ccaasCall ? window.ccaasCall.inboundBytes('{kind}') : 0"))


def wait_for_bytes(page: Any, kind: str, what: str, grow_by: int = 1000, timeout: float = 30) -> None:
    """Until `page` has received `grow_by` more bytes of `kind` than it had when called: media that
    starts late (a slow machine, a late microphone) passes, media that never flows fails with the
    call's state. A byte count rather than a rate over a fixed window, so load only slows it."""
    start = inbound(page, kind)
    deadline = time.monotonic() + timeout
    while (got := inbound(page, kind) - start) < grow_by:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: {kind} received grew by {got} bytes (wanted {grow_by}) within {timeout:.0f}s; "
                f"call: {call_state(page)}"
            )
        time.sleep(0.2)


def wait_until_stopped(page: Any, kind: str, what: str, timeout: float = 30) -> None:
    """Until a span (>= 1 s) in which `page` received under 1,500 bytes of `kind` (at most a frame in
    flight) while its audio kept arriving (>= 1,000 bytes), so a stalled machine cannot pass for
    stopped media; fails if no such span comes within `timeout`."""
    deadline = time.monotonic() + timeout
    last = (time.monotonic(), inbound(page, kind), inbound(page, "audio"))
    while True:
        time.sleep(0.25)
        now = (time.monotonic(), inbound(page, kind), inbound(page, "audio"))
        if now[0] - last[0] >= 1.0:
            if now[1] - last[1] < 1500 and now[2] - last[2] >= 1000:
                return
            if now[0] > deadline:
                raise AssertionError(
                    f"{what}: over the last {now[0] - last[0]:.1f}s {kind} grew by {now[1] - last[1]} bytes "
                    f"and audio by {now[2] - last[2]}; call: {call_state(page)}"
                )
            last = now


def worker_received(center: ContactCenter, call_id: str, frames: int, timeout: float = 30) -> None:
    """Until the media worker has received `frames` audio frames from both the customer and the agent
    (50 a second: the recording holds that much of each)."""
    from .peers import call

    async def poll() -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            received = (await call(center.info.schema_name, call_id, "media.call.stats")).get("received", {})
            counts = {p: received.get(f"{p}.audio", {}).get("frames", 0) for p in ("customer", "agent")}
            if min(counts.values()) >= frames or time.monotonic() > deadline:
                return counts
            await asyncio.sleep(0.5)

    counts = run_async(poll())
    assert min(counts.values()) >= frames, f"audio frames at the media worker after {timeout:.0f}s: {counts}"


def customer_calls(browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, button: str) -> Any:
    """A customer on the shop's page opens the widget and presses a call button; (page, widget)."""
    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("call.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    widget = customer.frame_locator("[data-ccaas-widget] iframe")
    widget.locator(button).click()
    return customer, widget


def test_customer_calls_from_the_widget_agent_answers_sees_draws_and_snapshots(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, media_worker: Any
) -> None:
    connection.set_schema(center.info.schema_name)
    Queue.objects.filter(pk=center.queue.pk).update(record_calls=True)
    connection.set_schema_to_public()
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)

    customer, widget = customer_calls(browser, web_server, shop, center, "#call-video")
    expect(widget.locator("#call")).to_be_visible()
    expect(widget.locator("#call-notice")).to_be_visible()  # "This call is recorded."

    # The call rings on the desktop like any offer; the agent answers.
    expect(agent.locator("#offer-dialog")).to_be_visible()
    expect(agent.locator("#offer-channel")).to_have_text("Video")
    agent.click("#offer-accept")
    expect(agent.locator("#call-panel")).to_be_visible()
    expect(agent.locator("#call-rec")).to_be_visible()
    expect(widget.locator("#call-state")).to_have_text("In call with Alex Agent")

    frame = widget_frame(customer)
    # Both parties hear each other, and the agent sees the customer's camera.
    wait_for_bytes(agent, "audio", "the agent hears the customer")
    wait_for_bytes(frame, "audio", "the customer hears the agent")
    wait_for_bytes(agent, "video", "the agent sees the customer")

    # Snapshot of the customer's video, saved on the interaction.
    agent.wait_for_function("document.getElementById('call-remote-video').videoWidth > 0")
    agent.click("#call-snapshot")
    expect(agent.locator("#toast")).to_have_text("Snapshot saved to the conversation.")

    # One-way video: the customer sees the agent; the agent no longer receives the customer's video.
    agent.select_option("#call-mode", "oneway")
    expect(widget.locator("#call-mode")).to_have_value("oneway")
    wait_until_stopped(agent, "video", "one-way video: the agent stops receiving the customer's camera")
    wait_for_bytes(frame, "video", "one-way video: the customer sees the agent")

    # The agent draws on the customer's video; the customer sees the stroke.
    agent.click("#call-annotate")
    box = agent.locator("#call-draw").bounding_box()
    assert box is not None
    agent.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    agent.mouse.down()
    for n in range(1, 8):
        agent.mouse.move(box["x"] + box["width"] * (0.2 + n * 0.05), box["y"] + box["height"] * (0.2 + n * 0.04))
    agent.mouse.up()
    expect(widget.locator("#annotations")).to_have_attribute("data-strokes", "1")

    # The customer shares their screen (getDisplayMedia, sent with replaceTrack): the agent sees it.
    widget.locator("#call-screen").click()
    expect(widget.locator("#call-screen")).to_have_text("Stop sharing")
    expect(agent.locator("#call-people")).to_contain_text("🖥")
    wait_for_bytes(agent, "video", "one-way video, yet the customer's shared screen reaches the agent")

    # Long enough to be worth recording: over 3 s of each party's audio reached the worker.
    connection.set_schema(center.info.schema_name)
    call_id = Call.objects.get().call_id
    connection.set_schema_to_public()
    worker_received(center, call_id, frames=175)
    agent.click("#call-hangup")
    expect(agent.locator("#call-panel")).to_be_hidden()
    expect(widget.locator("#call")).to_be_hidden()
    expect(widget.locator("#status")).to_have_text("Call ended.")

    connection.set_schema(center.info.schema_name)
    call = Call.objects.get()
    assert call.state == "ended" and call.ended_by == f"agent-{center.agents[0].user_id}"
    snapshot = Attachment.objects.get(interaction=call.interaction)
    assert snapshot.content_type == "image/jpeg" and snapshot.size > 1000
    kinds = set(CallEvent.objects.filter(call=call).values_list("kind", flat=True))
    assert {"offered", "ringing", "answered", "mode", "snapshot", "screen_share", "ended"} <= kinds
    wait_until(lambda: Recording.objects.filter(call_id=call.call_id).exists(), 30, "the recording to be stored")
    recording = Recording.objects.get(call_id=call.call_id)
    assert recording.duration > 3 and recording.size > 5000, (recording.duration, recording.size)
    # Both browsers' forked copies reached the worker: audio and video of the customer and the agent.
    recorded = {(st["party"], st["type"], st["codec"]) for st in recording.streams}
    assert {("customer", "audio", "opus"), ("agent", "audio", "opus")} <= recorded, recording.streams
    assert ("customer", "video", "vp8") in recorded, recording.streams

    # A supervisor opens the conversation in the desktop and plays the recording.
    from apps.accounts.models import User
    from tests.conftest import PASSWORD

    User.objects.create_user(email=f"sup@{center.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    sup = desktop(browser, web_server, center, email=f"sup@{center.info.subdomain}.test")
    sup.click("#tab-all")
    sup.locator("#inbox li").first.click()
    player = sup.locator("#calls-list video.recording")
    expect(player).to_have_attribute("src", f"/calls/recordings/{recording.pk}")
    status, kind, size = sup.evaluate(
        "async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'),"
        " (await r.arrayBuffer()).byteLength]; }",
        f"/calls/recordings/{recording.pk}",
    )
    assert (status, kind, size) == (200, "video/webm", recording.size)


# The agent's browser takes 3 s to open its microphone (a permission prompt, a slow device): the
# customer's offer arrives first and is answered before there is anything to send.
SLOW_MICROPHONE = """
(() => {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => new Promise((ok) => setTimeout(ok, 3000)).then(() => gum(c));
})();
"""


def test_an_agent_whose_microphone_opens_late_is_still_heard(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, media_worker: Any
) -> None:
    agent = desktop(browser, web_server, center, 1, init_script=SLOW_MICROPHONE)
    go_available(agent)
    customer, widget = customer_calls(browser, web_server, shop, center, "#call-voice")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    expect(widget.locator("#call-state")).to_have_text("In call with Alex Agent")
    frame = widget_frame(customer)
    wait_for_bytes(frame, "audio", "the customer hears the agent whose microphone opened late")
    wait_for_bytes(agent, "audio", "the agent hears the customer")
