"""A callback in real browsers: the customer's chat waits past the queue's maximum wait, the queue
offers a callback, the customer leaves their number in the widget and sees their place; the agent
gets the callback offer on the desktop with the number, accepts, marks no answer, and after the retry
delay (the timers' clock, driven by the test) gets it again and marks it connected."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.core import timers as core_timers
from apps.inbox.models import Callback, Interaction, Segment
from apps.routing.models import Queue
from tests.a11y import serious_violations
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, desktop, go_available
from tests.processes import wait_until


def fire_timers_at(seconds_from_now: float) -> None:
    connection.set_schema_to_public()
    core_timers.fire_due(now=time.time() + seconds_from_now)


def test_the_customer_leaves_a_number_after_overflow_and_the_agent_calls_back(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter
) -> None:
    connection.set_schema(center.info.schema_name)
    Queue.objects.filter(pk=center.queue.pk).update(
        overflow_action=Queue.Overflow.CALLBACK, max_wait_seconds=30, require_disposition=False
    )
    connection.set_schema_to_public()
    agent = desktop(browser, web_server, center, 1)  # signed in, not available yet

    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("shop.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    chat.locator("#input").fill("Can someone call me about my order?")
    chat.locator("#input").press("Enter")
    expect(chat.locator("#status")).to_contain_text("You are number 1 in line.")

    # The maximum wait passes (the timers' clock): the queue offers a callback.
    fire_timers_at(31)
    expect(chat.locator("#callback")).to_be_visible()
    # Back on the page later: the offer is still there.
    customer.reload()
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator("#callback")).to_be_visible()
    expect(chat.locator("#input")).to_be_hidden()
    frame = next(f for f in customer.frames if "/widget/frame/" in f.url)
    assert serious_violations(frame) == []
    chat.locator("#callback-phone").fill("12345")
    chat.locator("#callback-go").click()
    expect(chat.locator("[data-for=callback]")).to_contain_text("international format")
    chat.locator("#callback-phone").fill("+49 30 123456")
    chat.locator("#callback-phone").press("Enter")
    expect(chat.locator("#callback")).to_be_hidden()
    expect(chat.locator("#status")).to_have_text("We will call you at +4930123456. You are number 1 in line.")
    customer.reload()
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator("#status")).to_have_text("We will call you at +4930123456. You are number 1 in line.")
    expect(chat.locator("#callback")).to_be_hidden()

    # The agent becomes available: the callback rings with the number, is accepted, and dialled.
    go_available(agent)
    expect(agent.locator("#offer-dialog")).to_be_visible()
    expect(agent.locator("#offer-callback")).to_contain_text("Callback to +4930123456")
    agent.click("#offer-accept")
    expect(agent.locator("#callback-panel")).to_be_visible()
    expect(agent.locator("#callback-number")).to_have_text("+4930123456")
    expect(agent.locator("#callback-attempt")).to_have_text("attempt 1 of 3")
    assert serious_violations(agent) == []
    expect(chat.locator("#status")).to_have_text("An agent is calling you now.")
    agent.click("#callback-noanswer")
    expect(agent.locator("#callback-result")).to_contain_text("No answer. The next attempt is at")
    expect(agent.locator("#callback-actions")).to_be_hidden()
    expect(chat.locator("#status")).to_contain_text("We could not reach you; we will try again at")

    # The retry delay passes: it rings again, keeping its place, and this time the customer answers.
    fire_timers_at(301)
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.keyboard.press("Alt+a")
    expect(agent.locator("#callback-attempt")).to_have_text("attempt 2 of 3")
    agent.click("#callback-connected")
    expect(agent.locator("#callback-result")).to_have_text(
        "Connected: talk to the customer, then resolve the conversation."
    )
    expect(chat.locator("#status")).to_have_text("Your callback is connected.")

    connection.set_schema(center.info.schema_name)
    callback = Callback.objects.get()
    assert (callback.state, callback.attempts) == ("connected", 2)
    source = callback.source_interaction
    assert source is not None and callback.interaction is not None
    assert callback.interaction.enqueued_at == source.enqueued_at
    wait_until(
        lambda: (
            list(
                Segment.objects.filter(interaction=callback.interaction, kind="callback")
                .order_by("started_at")
                .values_list("outcome", flat=True)
            )
            == ["no_answer", "connected"]
        ),
        10,
        "the callback segments",
    )
    # The chat that overflowed counts as a callback request, not an abandon.
    assert Segment.objects.get(interaction=source, kind="queue").outcome == "callback_requested"
    assert Interaction.objects.get(pk=source.pk).routing_status == "callback"
    connection.set_schema_to_public()
