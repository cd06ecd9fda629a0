"""The whole chat in real browsers: a shop page on another origin embeds the snippet; the customer
writes; the chat is routed; agent 1 accepts and replies, transfers to agent 2, who replies and
resolves with a disposition; the customer rates it. Both sides see every message, in order."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.inbox.models import Interaction, Message
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, desktop, go_available
from tests.processes import wait_until


def texts(locator: Any) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


def test_customer_chats_agents_transfer_and_resolve_customer_rates(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter
) -> None:
    agent1 = desktop(browser, web_server, center, 1)
    go_available(agent1)

    customer_ctx = browser.new_context(locale="en-US")
    customer = customer_ctx.new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("shop.html", center.snippet(web_server)))
    # The host page keeps its own look: the widget's styles do not leak out, nor the page's in.
    expect(customer.locator("#buy")).to_have_css("background-color", "rgb(255, 0, 0)")
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator("#title")).to_have_text("Hi! How can we help?")
    expect(chat.locator("#offline")).to_be_hidden()  # open hours: no offline form
    expect(chat.locator("#csat")).to_be_hidden()
    expect(agent1.locator("#conv-empty")).to_be_visible()
    chat.locator("#input").fill("My order #1234 has not arrived")
    chat.locator("#input").press("Enter")

    # The chat rings on agent 1's desktop.
    expect(agent1.locator("#offer-dialog")).to_be_visible()
    expect(agent1.locator("#offer-subject")).to_have_text("My order #1234 has not arrived")
    agent1.click("#offer-accept")
    expect(agent1.locator("#messages .m.customer")).to_have_text(["My order #1234 has not arrived"])
    expect(agent1.locator("#conv-empty")).to_be_hidden()
    expect(agent1.locator("#customer-body")).to_contain_text("Acme shop")  # the page they are on
    expect(chat.locator("#subtitle")).to_have_text("Alex Agent")
    agent1.fill("#reply-input", "Sorry to hear that! Let me check.")
    agent1.keyboard.press("Control+Enter")
    expect(chat.locator(".msg.agent .body")).to_have_text(["Sorry to hear that! Let me check."])
    chat.locator("#input").fill("Thanks")
    chat.locator("#input").press("Enter")
    expect(agent1.locator("#messages .m.customer .body")).to_have_text(["My order #1234 has not arrived", "Thanks"])
    # A private note stays with the agents.
    agent1.check("#as-note")
    agent1.fill("#reply-input", "Courier lost it, handing to Bea")
    agent1.keyboard.press("Control+Enter")
    expect(agent1.locator("#messages .m.note .body")).to_have_text(["Courier lost it, handing to Bea"])

    # Agent 2 comes online; agent 1 transfers the chat to them.
    agent2 = desktop(browser, web_server, center, 2)
    go_available(agent2)
    agent1.click("#btn-transfer")
    agent1.select_option("#transfer-form select[name=agent]", str(center.agents[1].pk))
    agent1.fill("#transfer-form textarea[name=note]", "VIP, please refund")
    agent1.click("#transfer-go")
    expect(agent1.locator("#toast")).to_have_text("Transferred.")
    expect(agent2.locator("#offer-dialog")).to_be_visible()
    agent2.click("#offer-accept")
    expect(agent2.locator("#messages .m.note .body")).to_have_text(
        ["Courier lost it, handing to Bea", "VIP, please refund"]
    )
    agent2.fill("#reply-input", "Hi, I'm Bea. I've refunded your order.")
    agent2.keyboard.press("Control+Enter")
    expect(chat.locator(".msg.agent .body")).to_have_text(
        ["Sorry to hear that! Let me check.", "Hi, I'm Bea. I've refunded your order."]
    )

    # Resolving needs a disposition in this queue: first refused, then done.
    agent2.click("#btn-resolve")
    agent2.click("#resolve-go")
    expect(agent2.locator("#resolve-error")).to_contain_text("This queue asks for a disposition.")
    agent2.select_option("#resolve-form select[name=disposition]", label="Solved")
    agent2.click("#resolve-go")
    expect(agent2.locator("#toast")).to_have_text("Resolved.")

    # The customer rates the conversation.
    expect(chat.locator("#csat")).to_be_visible()
    expect(chat.locator("#composer")).to_be_hidden()
    chat.locator(".stars span", has_text="5★").click()
    chat.locator("#csat textarea").fill("Quick and kind")
    chat.locator("#csat button").click()
    expect(chat.locator("#status")).to_have_text("Thank you for your feedback!")

    # Both sides saw every message, in order; the customer never saw the notes.
    customer_side = texts(chat.locator(".msg .body"))
    assert customer_side == [
        "My order #1234 has not arrived",
        "Sorry to hear that! Let me check.",
        "Thanks",
        "Alex Agent transferred the conversation to Bea Agent.",
        "Hi, I'm Bea. I've refunded your order.",
        "Bea Agent resolved the conversation.",
    ]
    agent_side = texts(agent2.locator("#messages .m .body"))
    assert agent_side == [
        "My order #1234 has not arrived",
        "Sorry to hear that! Let me check.",
        "Thanks",
        "Courier lost it, handing to Bea",
        "Alex Agent transferred the conversation to Bea Agent.",
        "VIP, please refund",
        "Hi, I'm Bea. I've refunded your order.",
        "Bea Agent resolved the conversation.",
    ]
    connection.set_schema(center.info.schema_name)
    interaction = Interaction.objects.get()
    assert (interaction.status, interaction.disposition.name, interaction.csat_score, interaction.csat_comment) == (
        "resolved",
        "Solved",
        5,
        "Quick and kind",
    )
    assert interaction.page["url"].endswith("/shop.html") and interaction.page["title"] == "Acme shop"
    # Alex's first reply (the chat's hot path) is its first response, before anything Bea wrote.
    first_reply = Message.objects.get(body="Sorry to hear that! Let me check.")
    assert interaction.first_response_at == first_reply.created_at
    customer.screenshot(path="test-artifacts/widget-customer.png")
    agent2.screenshot(path="test-artifacts/desktop-agent.png")


def test_a_customer_message_in_a_conversation_not_on_screen_shows_as_unread(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter
) -> None:
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)
    chats = []
    for text in ("First customer here", "Second customer here"):
        page = browser.new_context(locale="en-US").new_page()
        page.set_default_timeout(15000)
        page.goto(shop.page("shop.html", center.snippet(web_server)))
        page.locator("[data-ccaas-widget] button").click()
        chat = page.frame_locator("[data-ccaas-widget] iframe")
        chat.locator("#input").fill(text)
        chat.locator("#input").press("Enter")
        expect(agent.locator("#offer-subject")).to_have_text(text)
        agent.click("#offer-accept")
        expect(agent.locator("#messages .m.customer .body")).to_have_text([text])
        chats.append(chat)
    # The second conversation is on screen; the first customer writes again.
    rows = agent.locator("#inbox li")
    expect(rows).to_have_count(2)
    chats[0].locator("#input").fill("Hello? Anyone?")
    chats[0].locator("#input").press("Enter")
    first = rows.nth(0)
    expect(first.locator(".badge")).to_have_text("1")
    expect(first.locator(".preview")).to_have_text("Hello? Anyone?")
    expect(first).to_contain_text("First customer here")
    expect(rows.nth(1).locator(".badge")).to_be_hidden()
    expect(agent.locator("#messages .m.customer .body")).to_have_text(["Second customer here"])  # not mixed in
    agent.screenshot(path="test-artifacts/desktop-unread.png")
    # What the agent has read is stored: a reload shows the same unread count.
    agent.reload()
    agent.wait_for_selector("#live-status[data-state=live]")
    expect(rows).to_have_count(2)
    unread_row = agent.locator("#inbox li.unread")
    expect(unread_row).to_have_count(1)
    expect(unread_row).to_contain_text("First customer here")
    expect(unread_row.locator(".badge")).to_have_text("1")
    unread_row.click()
    expect(agent.locator("#messages .m.customer .body")).to_have_text(["First customer here", "Hello? Anyone?"])
    expect(agent.locator("#inbox li.unread")).to_have_count(0)
    connection.set_schema(center.info.schema_name)
    first_id = Interaction.objects.get(subject="First customer here").pk
    wait_until(  # the desktop's read frames are stored before we reload
        lambda: Interaction.objects.get(pk=first_id).agent_read_seq == 2, 10, "the agent's read position"
    )
    agent.reload()
    agent.wait_for_selector("#live-status[data-state=live]")
    expect(rows).to_have_count(2)
    expect(agent.locator("#inbox li .badge:not([hidden])")).to_have_count(0)


def test_queue_position_typing_receipts_and_shortcuts_in_a_narrow_window(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter
) -> None:
    agent = desktop(browser, web_server, center, 1, viewport={"width": 700, "height": 900})
    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("shop.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    chat.locator("#input").fill("Anyone there?")
    chat.locator("#input").press("Enter")
    # Nobody is available: the customer is told where they are in line.
    expect(chat.locator("#status")).to_contain_text("You are number 1 in line.")

    # A narrow window: the list and the conversation stack, the customer panel steps aside.
    expect(agent.locator(".desk > .customer")).to_be_hidden()
    expect(agent.locator(".tabs")).to_be_visible()
    agent.select_option("#presence", "available")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.keyboard.press("Alt+a")  # accept
    expect(agent.locator("#messages .m.customer .body")).to_have_text(["Anyone there?"])
    expect(agent.locator("#inbox li")).to_have_count(1)
    expect(agent.locator("#reply-input")).to_be_in_viewport()
    expect(chat.locator("#status")).to_be_hidden()
    expect(chat.locator(".receipt")).to_have_text("Read")  # the agent has seen it

    # Typing shows on both sides while it lasts.
    chat.locator("#input").press_sequentially("one more")
    expect(agent.locator("#agent-typing")).to_be_visible()
    chat.locator("#input").fill("")
    expect(agent.locator("#agent-typing")).to_be_hidden()
    agent.locator("#reply-input").press_sequentially("Here")
    expect(chat.locator("#typing")).to_be_visible()
    agent.locator("#reply-input").fill("Here to help!")
    agent.keyboard.press("Control+Enter")
    expect(chat.locator(".msg.agent .body")).to_have_text(["Here to help!"])
    expect(chat.locator("#typing")).to_be_hidden()
    expect(agent.locator("#seen")).to_be_visible()  # the open widget read the reply

    # Shortcuts: Alt+N switches to a private note, Alt+E opens resolve.
    expect(agent.locator("#as-note")).not_to_be_checked()
    agent.locator("#reply-input").focus()
    agent.keyboard.press("Alt+n")
    expect(agent.locator("#as-note")).to_be_checked()
    agent.keyboard.press("Alt+e")
    expect(agent.locator("#resolve-dialog")).to_be_visible()
    agent.screenshot(path="test-artifacts/desktop-narrow.png")
