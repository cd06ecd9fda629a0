"""Merge suggestions (issue 16): contacts that share an identity (an email a visitor typed that another
contact proved, the same phone number from SMS and a call) are suggested on the journey page and by
the API to the owner and admins, who merge them in the browser; the merged contact's conversations
join the journey; agents neither see the suggestions nor may merge."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.inbox.actions import do_identify_contact
from apps.inbox.models import Contact, Interaction
from tests.conftest import PASSWORD, WebServer, signed_in_page
from tests.inbox.conftest import make_center
from tests.journey.test_contacts_api import login


def test_suggested_and_merged_on_the_journey_page(browser: Any, web_server: WebServer) -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    connection.set_schema(cc.info.schema_name)
    wu = do_identify_contact({"email": "wu.lei@example.com"}, {"name": "Wu Lei", "phone": "+8613800138000"})
    # A visitor who typed Wu's email into the pre-chat form (unverified: it found no contact).
    visitor = do_identify_contact({"visitor": "v-123"}, {}, claimed={"email": "wu.lei@example.com"})
    # An SMS from Wu's number, on a contact of its own.
    texter = do_identify_contact({"phone": "+8613800138000"}, {"name": "+86 138…"})
    stranger = do_identify_contact({"email": "someone@example.com"}, {"name": "Someone"})
    for contact in (wu, visitor, texter, stranger):
        Interaction.objects.create(channel="chat", contact=contact, queue=cc.queue, subject=f"from {contact.pk}")
    User.objects.create_user(email=f"ann@{cc.info.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()

    owner = login(cc.info.host, cc.info.email)
    found = owner.get(f"/api/v1/contacts/{wu.pk}/duplicates").json()["results"]
    ids = {d["id"] for d in found}
    assert ids == {visitor.pk, texter.pk}
    [v] = [d for d in found if d["id"] == visitor.pk]
    assert v["shared"] == [{"kind": "email", "value": "wu.lei@example.com"}] and v["conversations"] == 1
    [t] = [d for d in found if d["id"] == texter.pk]
    assert t["shared"] == [{"kind": "phone", "value": "+8613800138000"}]
    agent = login(cc.info.host, f"ann@{cc.info.subdomain}.test")
    assert agent.get(f"/api/v1/contacts/{wu.pk}/duplicates").status_code == 403

    page = signed_in_page(browser, web_server, cc.info)
    page.goto(web_server.url(f"/contacts/{wu.pk}/journey/", subdomain=cc.info.subdomain))
    box = page.get_by_test_id("merge-suggestions")
    row = box.locator(f'[data-contact="{visitor.pk}"]')
    expect(row).to_contain_text("wu.lei@example.com")
    expect(row).to_contain_text("1 conversation")
    row.get_by_role("button", name="Merge into this customer").click()
    expect(page.locator(".messages")).to_contain_text("is now part of this customer's journey.")
    expect(page.locator(f'[data-contact="{visitor.pk}"]')).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"from {visitor.pk}")
    connection.set_schema(cc.info.schema_name)
    assert Contact.objects.get(pk=visitor.pk).merged_into_id == wu.pk
    assert Interaction.objects.filter(contact=wu).count() >= 2
    connection.set_schema_to_public()
    page.context.close()

    # Agents may not merge.
    assert agent.post(f"/contacts/{wu.pk}/merge/", {"other": stranger.pk}).status_code == 403
    connection.set_schema(cc.info.schema_name)
    assert Contact.objects.get(pk=stranger.pk).merged_into_id is None
    connection.set_schema_to_public()
