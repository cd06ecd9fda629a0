"""A call between two real browsers: headless Chromium with a fake camera and microphone. The customer
calls from the widget on the shop's page; the agent answers in the desktop; both hear each other
(inbound RTP bytes growing); the agent takes a snapshot of the customer's video; in one-way video
the agent receives no video and the customer does; the agent's drawing reaches the customer; the
recording is stored."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.inbox.models import Attachment
from apps.media.models import Call, CallEvent, Recording
from apps.routing.models import Queue
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, center, desktop, go_available, shop

__all__ = ["center", "shop"]  # the fixtures, shared with the chat tests


def widget_frame(page: Any) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/widget/frame/" in frame.url:
                return frame
        time.sleep(0.1)
    raise AssertionError("no widget frame")


def growth(frame: Any, kind: str, seconds: float = 1.5) -> int:
    before = frame.evaluate(f"window.ccaasCall.inboundBytes('{kind}')")
    time.sleep(seconds)
    return int(frame.evaluate(f"window.ccaasCall.inboundBytes('{kind}')") - before)


def customer_calls(browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, button: str) -> Any:
    """A customer on the shop's page opens the widget and presses a call button; (page, widget)."""
    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("call.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    widget = customer.frame_locator("[data-ccaas-widget] iframe")
    widget.locator(button).click()
    return customer, widget


def wait_for_audio(*pages: Any, seconds: float = 20) -> None:
    """Until every page's call receives some audio (each side's media starts when its own
    negotiation completes), or the time is up; the caller then asserts how much arrives."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(p.evaluate("window.ccaasCall.inboundBytes('audio')") == 0 for p in pages):
        time.sleep(0.2)


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
    expect(agent.locator("#offer-channel")).to_have_text("video")
    agent.click("#offer-accept")
    expect(agent.locator("#call-panel")).to_be_visible()
    expect(agent.locator("#call-rec")).to_be_visible()
    expect(widget.locator("#call-state")).to_have_text("In call with Alex Agent")

    frame = widget_frame(customer)
    # Both parties hear each other, and the agent sees the customer's camera.
    wait_for_audio(agent, frame)
    assert growth(agent, "audio") > 1000
    assert growth(frame, "audio") > 1000
    assert growth(agent, "video") > 1000

    # Snapshot of the customer's video, saved on the interaction.
    agent.wait_for_function("document.getElementById('call-remote-video').videoWidth > 0")
    agent.click("#call-snapshot")
    expect(agent.locator("#toast")).to_have_text("Snapshot saved to the conversation.")

    # One-way video: the customer sees the agent; the agent no longer receives the customer's video.
    agent.select_option("#call-mode", "oneway")
    expect(widget.locator("#call-mode")).to_have_value("oneway")
    time.sleep(1.5)
    assert growth(agent, "video") < 2000  # at most a last frame in flight
    assert growth(frame, "video") > 1000

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
    assert growth(agent, "video") > 1000  # one-way video, yet the shared screen reaches the agent

    time.sleep(1.0)
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
    deadline = time.monotonic() + 10
    while not Recording.objects.filter(call_id=call.call_id).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
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
    wait_for_audio(frame, agent)
    assert growth(frame, "audio") > 1000  # the customer hears the agent
    assert growth(agent, "audio") > 1000  # and the agent the customer
