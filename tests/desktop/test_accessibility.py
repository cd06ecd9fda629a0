# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The agent desktop from the keyboard, and axe-core (issue 12): no serious or critical violations with
a conversation open and with the transfer dialog open; the inbox list moves with the arrow keys and
opens with Enter; focus is visible; a dialog keeps focus inside, closes on Escape and gives focus
back to the button that opened it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.inbox.models import CannedResponse
from tests.a11y import serious_violations
from tests.conftest import WebServer
from tests.desktop.test_details_browser import make_inbox
from tests.inbox.conftest import Shop, desktop, shop  # noqa: F401  (the fixture)

# A modal dialog keeps the page behind it inert: Tab cycles through the dialog (and, past its last
# control, the browser's own UI, where the document reports the body as focused).
INSIDE_OR_BROWSER = (
    "document.getElementById('transfer-dialog').contains(document.activeElement)"
    " || document.activeElement === document.body"
)


def focused_id(page: Any) -> str:
    return str(
        page.evaluate(
            "document.activeElement && (document.activeElement.id || document.activeElement.dataset.id || '')"
        )
    )


def test_the_desktop_works_from_the_keyboard_and_passes_axe(browser: Any, web_server: WebServer, shop: Shop) -> None:
    box = make_inbox(shop.origin)
    connection.set_schema(box.cc.info.schema_name)
    CannedResponse.objects.create(shortcut="hello", title="Greeting", body="Hi {{ customer.first_name }}!")
    CannedResponse.objects.create(shortcut="help", title="Offer help", body="How can I help?")
    connection.set_schema_to_public()
    page = desktop(browser, web_server, box.cc, email=box.supervisor.email)
    page.get_by_role("tab", name="My queues").click()
    rows = page.get_by_role("listbox", name="Conversations").get_by_role("option")
    expect(rows).to_have_count(2)

    # The list: one row in the tab order, arrows move, Enter opens.
    page.get_by_role("tab", name="My queues").focus()
    for _ in range(4):  # the three filters, then the list
        page.keyboard.press("Tab")
    first = rows.nth(0)
    expect(first).to_be_focused()
    outline = first.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline.split()[0] != "none" and outline.split()[1] != "0px", outline  # focus is visible
    page.keyboard.press("ArrowDown")
    second = rows.nth(1)
    expect(second).to_be_focused()
    target = int(second.get_attribute("data-id") or 0)
    page.keyboard.press("Enter")
    expect(page.locator("#conv-body")).to_be_visible()
    expect(page.locator(f'#inbox li[data-id="{target}"]')).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Mine").click()
    page.locator(f'#inbox li[data-id="{box.open_mine.pk}"]').click()
    expect(page.locator("#messages .m.customer .body")).to_have_text(["Where is my parcel?"])
    expect(page.get_by_label("Reply", exact=True)).to_be_visible()  # the reply box is labelled
    assert serious_violations(page) == []

    # Canned responses: a listbox of options, chosen with the arrows and Enter.
    reply = page.get_by_label("Reply", exact=True)
    reply.press_sequentially("/he")
    canned = page.get_by_role("listbox", name="Canned responses").get_by_role("option")
    expect(canned).to_have_count(2)
    expect(canned.nth(0)).to_have_attribute("aria-selected", "true")
    assert serious_violations(page) == []
    reply.press("ArrowDown")
    expect(canned.nth(1)).to_have_attribute("aria-selected", "true")
    reply.press("Enter")
    expect(reply).to_have_value("How can I help?")
    reply.fill("")

    # The transfer dialog: focus moves in and stays in; Escape closes it and focus comes back.
    transfer = page.get_by_role("button", name="Transfer")
    transfer.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Transfer")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.getElementById('transfer-dialog').contains(document.activeElement)")
    assert serious_violations(page) == []
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate(INSIDE_OR_BROWSER), focused_id(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(transfer).to_be_focused()

    # The same for resolve, opened by its shortcut.
    page.keyboard.press("Alt+e")
    expect(page.get_by_role("dialog", name="Resolve")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Resolve")).to_be_hidden()
    page.context.close()
