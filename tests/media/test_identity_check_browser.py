# ruff: noqa: F811  (the shop and center fixtures are imported from tests.inbox.conftest)
"""A recorded identity check in a real video call, in Chromium (fake camera): the agent photographs
the customer's document and face from the call, reads the consent statement, marks the yes and
verifies; the supervisor reads the sealed result with its photos on the customer's journey."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.media.models import Call, IdentityCheck
from tests.conftest import PASSWORD, WebServer, signed_in_page
from tests.inbox.conftest import ContactCenter, Shop, center, desktop, go_available, shop  # noqa: F401
from tests.media.test_call_browser import customer_calls, wait_for_bytes


def test_the_agent_verifies_and_the_supervisor_reads_it(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, media_worker: Any
) -> None:
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)
    customer_calls(browser, web_server, shop, center, "#call-video")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    expect(agent.locator("#call-panel")).to_be_visible()
    wait_for_bytes(agent, "video", "the agent sees the customer")
    agent.wait_for_function("document.getElementById('call-remote-video').videoWidth > 0")

    agent.get_by_role("button", name="Verify identity").click()
    check = agent.locator("#idcheck")
    expect(check).to_be_visible()
    expect(agent.locator("#idcheck-consent")).to_contain_text("photos of my identity document")
    # Verifying before the steps: said in the panel.
    check.get_by_role("button", name="Identity verified").click()
    expect(agent.locator("#idcheck-error")).to_contain_text("Take every step before verifying")
    check.get_by_role("button", name="Photograph the document").click()
    expect(check.locator('li[data-step="document"] .state')).to_have_text("✓ Done")
    check.get_by_role("button", name="Photograph the face").click()
    expect(check.locator('li[data-step="face"] .state')).to_have_text("✓ Done")
    check.get_by_role("button", name="The customer agreed").click()
    expect(check.locator('li[data-step="consent"] .state')).to_have_text("✓ Done")
    check.get_by_label("Note on the check").fill("Passport shown clearly.")
    check.get_by_role("button", name="Identity verified").click()
    expect(agent.locator("#toast")).to_have_text("Identity verified and recorded.")
    expect(check).to_be_hidden()
    agent.click("#call-hangup")
    expect(agent.locator("#call-panel")).to_be_hidden()

    connection.set_schema(center.info.schema_name)
    call = Call.objects.get()
    sealed = IdentityCheck.objects.get(call=call)
    assert sealed.status == "verified" and sealed.note == "Passport shown clearly." and len(sealed.digest) == 64
    photos = [s for s in sealed.steps.all() if s.file]
    assert len(photos) == 2 and all(s.file.size > 1000 for s in photos)
    contact_id = call.interaction.contact_id
    User.objects.create_user(email=f"sue@{center.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()

    sue = signed_in_page(browser, web_server, center.info, email=f"sue@{center.info.subdomain}.test")
    sue.goto(web_server.url(f"/contacts/{contact_id}/journey/", subdomain=center.info.subdomain))
    section = sue.get_by_test_id("identity-checks")
    expect(section).to_contain_text("Verified")
    expect(section).to_contain_text("Intact: steps and photos match the seal")
    expect(section).to_contain_text("Passport shown clearly.")
    images = section.locator("img")
    expect(images).to_have_count(2)
    sue.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=identity-checks] img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    # The agent's journey page shows no identity checks.
    agent.goto(web_server.url(f"/contacts/{contact_id}/journey/", subdomain=center.info.subdomain))
    expect(agent.get_by_test_id("journey-summary")).to_be_visible()
    expect(agent.get_by_test_id("identity-checks")).to_have_count(0)
