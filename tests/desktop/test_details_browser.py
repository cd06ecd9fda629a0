# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""Details of the agent desktop that users found (issue 12), in headless Chromium against a real
daphne: resolved conversations are read-only, "Open" means open in every tab, messages and history
carry their time, the transfer dialog shows colleagues' live presence, one navigation, and buttons
that stay on one line in Simplified Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import do_set_agent_state, ensure_agent_profile
from apps.agents.models import AgentProfile, AgentState
from apps.inbox.actions import do_open_interaction, do_post_message, do_resolve
from apps.inbox.models import Contact, Disposition, Interaction, Message
from apps.routing.actions import do_accept_offer
from apps.routing.models import Offer
from tests.conftest import PASSWORD, WebServer, wait_until
from tests.inbox.conftest import ContactCenter, Shop, desktop, make_center, shop  # noqa: F401  (the fixture)


@dataclass
class Inbox:
    cc: ContactCenter
    supervisor: User
    open_mine: Interaction  # assigned to the supervisor, open
    resolved_mine: Interaction  # assigned to the supervisor, resolved
    queued: Interaction  # waiting in the supervisor's queue
    other_resolved: Interaction  # someone else's, resolved (only "All" and "My queues" could show it)


def chat(cc: ContactCenter, contact: Contact, subject: str) -> Interaction:
    interaction = do_open_interaction(channel="chat", queue=cc.queue, contact=contact, subject=subject)
    do_post_message(interaction, kind=Message.Kind.CUSTOMER, body=subject)
    return interaction


def take(interaction: Interaction, agent: AgentProfile) -> Interaction:
    do_accept_offer(Offer.objects.get(interaction=interaction, status=Offer.Status.PENDING).pk, agent.user)
    return Interaction.objects.get(pk=interaction.pk)


def make_inbox(shop_origin: str) -> Inbox:
    """A supervisor who is also an agent of the queue, with open, resolved and waiting conversations."""
    cc = make_center(shop_origin)
    connection.set_schema(cc.info.schema_name)
    supervisor = User.objects.create_user(
        email=f"sue@{cc.info.subdomain}.test", password=PASSWORD, full_name="Sue Supervisor", role="supervisor"
    )
    sue = ensure_agent_profile(supervisor)
    cc.queue.members.add(sue)
    solved = Disposition.objects.get(name="Solved")
    do_set_agent_state(sue, AgentState.AVAILABLE)
    open_mine = chat(cc, Contact.objects.create(), "Where is my parcel?")
    take(open_mine, sue)
    resolved_mine = chat(cc, Contact.objects.create(name="Wu Lei"), "Refund please")
    resolved_mine = take(resolved_mine, sue)
    do_post_message(resolved_mine, kind=Message.Kind.AGENT, body="Refunded.", author=supervisor)
    do_resolve(resolved_mine, supervisor, disposition_id=solved.pk)
    do_set_agent_state(sue, AgentState.OFFLINE)
    bea = cc.agents[1]
    do_set_agent_state(bea, AgentState.AVAILABLE)
    other_resolved = chat(cc, Contact.objects.create(name="Kim"), "Old question")
    other_resolved = take(other_resolved, bea)
    do_resolve(other_resolved, bea.user, disposition_id=solved.pk)
    do_set_agent_state(bea, AgentState.OFFLINE)
    queued = chat(cc, Contact.objects.create(name="Lee"), "Anyone there?")
    connection.set_schema_to_public()
    return Inbox(cc, supervisor, open_mine, resolved_mine, queued, other_resolved)


def row_ids(page: Any) -> set[int]:
    return {int(x) for x in page.locator("#inbox li[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")}


def test_open_means_open_in_every_tab_and_resolved_conversations_are_read_only(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    box = make_inbox(shop.origin)
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email)
    resolved = {box.resolved_mine.pk, box.other_resolved.pk}

    # "Open" (the default) shows only open conversations, whichever tab.
    expect(page.locator("#f-status")).to_have_value("open")
    expect(page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]')).to_be_visible()
    assert row_ids(page) == {box.open_mine.pk}
    page.get_by_role("tab", name="My queues").click()
    expect(page.locator(f'#inbox li[data-id="{box.queued.pk}"]')).to_be_visible()
    assert row_ids(page) == {box.open_mine.pk, box.queued.pk}
    page.get_by_role("tab", name="All").click()
    expect(page.locator("#tab-all")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#inbox li[data-id]")).to_have_count(2)
    assert row_ids(page) == {box.open_mine.pk, box.queued.pk}
    page.select_option("#f-status", "resolved")
    expect(page.locator(f'#inbox li[data-id="{box.other_resolved.pk}"]')).to_be_visible()
    expect(page.locator("#inbox li[data-id]")).to_have_count(2)
    assert row_ids(page) == resolved

    # A resolved conversation reads, with its times, but offers no transfer, resolve or reply.
    page.locator(f'#inbox li[data-id="{box.resolved_mine.pk}"]').click()
    expect(page.locator("#messages .m.agent .body")).to_have_text(["Refunded."])
    expect(page.locator("#read-only")).to_be_visible()
    for hidden in ("#btn-transfer", "#btn-resolve", "#reply", "#reply-input"):
        expect(page.locator(hidden)).to_be_hidden()
    page.keyboard.press("Alt+t")  # the shortcuts offer nothing either
    expect(page.locator("#transfer-dialog")).to_be_hidden()

    # An open conversation is worked on; when it is resolved elsewhere it turns read-only at once.
    page.select_option("#f-status", "open")
    page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]').click()
    expect(page.locator("#messages .m.customer .body")).to_have_text(["Where is my parcel?"])
    expect(page.locator("#reply-input")).to_be_visible()
    expect(page.locator("#btn-resolve")).to_be_visible()
    expect(page.locator("#read-only")).to_be_hidden()
    connection.set_schema(box.cc.info.schema_name)
    do_resolve(
        Interaction.objects.get(pk=box.open_mine.pk),
        box.supervisor,
        disposition_id=Disposition.objects.get(name="Solved").pk,
    )
    connection.set_schema_to_public()
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#reply")).to_be_hidden()
    expect(page.locator("#btn-transfer")).to_be_hidden()
    expect(page.locator("#btn-resolve")).to_be_hidden()
    page.context.close()


def test_messages_and_history_carry_their_time_and_visitors_are_named_as_in_the_list(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    box = make_inbox(shop.origin)
    connection.set_schema(box.cc.info.schema_name)
    # The same visitor wrote before: their earlier conversation is in the history beside this one.
    visitor = Contact.objects.get(pk=box.open_mine.contact_id)
    Interaction.objects.filter(pk=box.resolved_mine.pk).update(contact=visitor)
    sent = Message.objects.get(interaction=box.open_mine, seq=1).created_at
    connection.set_schema_to_public()
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email, timezone_id="Asia/Shanghai")
    row = page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]')
    expect(row).to_contain_text(f"Visitor {visitor.pk}")
    expect(row.locator("time")).to_have_count(1)
    row.click()
    expect(page.locator("#conv-title")).to_contain_text(f"Visitor {visitor.pk}")  # as in the list

    stamp = page.locator("#messages .m.customer time")
    expect(stamp).to_have_count(1)
    assert stamp.get_attribute("datetime") == sent.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    local = sent.astimezone(ZoneInfo("Asia/Shanghai"))  # the agent's own time zone, not the server's
    shown = stamp.evaluate("t => getComputedStyle(t, '::before').content")  # drawn from data-label
    assert " ".join(shown.strip('"').split()) == local.strftime("%I:%M %p")
    title = stamp.get_attribute("title") or ""
    assert f"{local.hour % 12 or 12}:{local:%M:%S}" in title and "GMT+8" in title  # the full timestamp on hover

    history = page.locator("#customer-body .prev-open", has_text="Refund please")
    expect(history).to_be_visible()
    expect(history.locator("time")).to_have_count(1)
    assert history.locator("time").get_attribute("datetime")
    page.context.close()


def test_the_transfer_dialog_shows_colleagues_presence_live(browser: Any, web_server: WebServer, shop: Shop) -> None:
    box = make_inbox(shop.origin)
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email)
    page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]').click()
    page.click("#btn-transfer")
    bea = box.cc.agents[1]
    option = page.locator(f'#transfer-agent option[value="{bea.pk}"]')
    expect(option).to_have_text("Bea Agent (offline)")

    connection.set_schema(box.cc.info.schema_name)
    do_set_agent_state(bea, AgentState.AVAILABLE)
    connection.set_schema_to_public()
    expect(option).to_have_text("Bea Agent (available)")  # while the dialog stays open

    connection.set_schema(box.cc.info.schema_name)
    AgentProfile.objects.filter(pk=bea.pk).update(load_voice=1)  # on a call
    connection.set_schema_to_public()
    expect(option).to_have_text("Bea Agent (busy)")

    connection.set_schema(box.cc.info.schema_name)
    AgentProfile.objects.filter(pk=bea.pk).update(load_voice=0)
    do_set_agent_state(AgentProfile.objects.get(pk=bea.pk), AgentState.AWAY)
    connection.set_schema_to_public()
    expect(option).to_have_text("Bea Agent (away)")
    page.context.close()


def test_the_desktop_shows_the_one_navigation_of_every_page(browser: Any, web_server: WebServer, shop: Shop) -> None:
    box = make_inbox(shop.origin)
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email)
    expect(page.get_by_test_id("main-nav")).to_have_count(1)
    expect(page.get_by_test_id("main-nav")).to_be_visible()
    # No second "Dashboard"/home link of the desktop's own beside it: the account menu links only the
    # user's own profile.
    expect(page.locator(".topnav a")).to_have_count(1)
    expect(page.locator(".topnav a")).to_have_attribute("href", "/profile/")
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    page.context.close()


# How many lines the text of an element takes: the height its text's boxes span, in lines of the
# tallest box (a checkbox or a smaller <kbd> beside the text does not count as a line).
LINES = """el => {
  const rects = [], walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    if (!walk.currentNode.textContent.trim()) continue;
    const r = document.createRange(); r.selectNodeContents(walk.currentNode);
    rects.push(...Array.from(r.getClientRects()).filter(b => b.width > 0));
  }
  const top = Math.min(...rects.map(b => b.top)), bottom = Math.max(...rects.map(b => b.bottom));
  return Math.round((bottom - top) / Math.max(...rects.map(b => b.height)));
}"""


def test_buttons_and_labels_stay_on_one_line_in_simplified_chinese(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    box = make_inbox(shop.origin)
    connection.set_schema(box.cc.info.schema_name)
    # A long name in the conversation's title leaves the buttons beside it little room: Chinese text
    # may break between any two characters, so 转接 would stand one character per line.
    Contact.objects.filter(pk=box.open_mine.contact_id).update(name="王小明 (Acme Trading Company, Shanghai office)")
    connection.set_schema_to_public()
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email, viewport={"width": 901, "height": 700})
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": web_server.url("/", subdomain=box.cc.info.subdomain)}]
    )
    page.reload()
    page.wait_for_selector("#live-status[data-state=live]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]').click()
    expect(page.locator("#conv-title")).to_contain_text("Acme Trading Company")
    assert page.locator("#reply-send").inner_text() != "Send"  # translated
    # Channel and status words too, in the list and the title (the API's codes were shown as they were).
    row_meta = page.locator(f'#inbox li[data-id="{box.open_mine.pk}"] .meta')
    expect(row_meta).to_contain_text("在线聊天")
    expect(page.locator("#conv-title")).to_contain_text("在线聊天")
    assert "chat" not in row_meta.inner_text() and "open" not in row_meta.inner_text()
    for selector in ("#reply-send", "#btn-transfer", "#btn-resolve", "#tab-mine", "#tab-queues", "#tab-all"):
        element = page.locator(selector)
        assert element.evaluate(LINES) == 1, f"{selector} ({element.inner_text()!r}) wraps"
    for label in page.locator(".reply-tools label").all():
        assert label.evaluate(LINES) == 1, f"{label.inner_text()!r} wraps"
    page.context.close()


def test_escape_on_a_ringing_offer_rejects_it(browser: Any, web_server: WebServer, shop: Shop) -> None:
    cc = make_center(shop.origin)
    agent = desktop(browser, web_server, cc, 1)
    agent.select_option("#presence", "available")
    expect(agent.locator("#presence")).to_have_value("available")
    connection.set_schema(cc.info.schema_name)
    waiting = chat(cc, Contact.objects.create(name="Lee"), "Is anyone there?")
    connection.set_schema_to_public()
    dialog = agent.locator("#offer-dialog")
    expect(dialog).to_be_visible()
    expect(agent.locator("#offer-subject")).to_have_text("Is anyone there?")
    agent.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    def statuses() -> list[str]:
        connection.set_schema(cc.info.schema_name)
        found = list(Offer.objects.filter(interaction=waiting).values_list("status", flat=True))
        connection.set_schema_to_public()
        return found

    wait_until(lambda: statuses() == ["rejected"], 10, "the offer to be rejected")  # not left ringing unseen
    agent.context.close()
