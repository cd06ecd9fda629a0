"""The proactive invitations page (issue 13), in Chromium: an admin writes a rule, the expression is
checked as it is typed (the fault and its column, then "Looks right."), a bad value is answered beside
its field, the rule joins the list with its funnel; counts of shown, accepted and converted
invitations over a period; supervisors read the counts and cannot edit; agents cannot see it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.inbox.models import Contact
from apps.journey.models import EngagementRule, Invitation
from tests.conftest import PASSWORD, TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in


def test_an_admin_writes_a_rule_and_reads_its_funnel(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Proactive invitations").click()
    expect(page.locator("h1")).to_have_text("Proactive invitations")
    expect(page.locator("#engagement-empty")).to_be_visible()

    new = page.get_by_test_id("rule-new")
    new.get_by_label("Name").fill("Checkout help")
    when = new.get_by_label("When", exact=True)
    when.fill('page.path startswith "/checkout" and cart.value >= "lots"')
    expect(new.get_by_test_id("step-error")).to_contain_text("Only numbers can be compared")
    when.fill('page.path startswith "/checkout" and cart.value >= 100 and page.seconds >= 30')
    expect(new.get_by_test_id("step-match")).to_have_text("Looks right.")
    new.get_by_label("Invite", exact=True).select_option("short_wait")
    new.get_by_role("button", name="Add").click()
    # Two faults at once, each beside its field; nothing saved.
    new = page.get_by_test_id("rule-new")
    expect(new.locator('[data-field="message"]')).to_have_text(
        "Write what the invitation says, at most 200 characters."
    )
    expect(new.locator('[data-field="max_wait_seconds"]')).to_have_text(
        "Say how short: the longest estimated wait in seconds."
    )
    new.get_by_label("Invitation text").fill("Questions about your order? We are here.")
    new.get_by_label("Longest estimated wait (seconds)").fill("45")
    new.get_by_label("Conversion event").fill("order")
    new.get_by_role("button", name="Add").click()
    expect(page.locator("#engagement-list section.engagement")).to_have_count(1)

    connection.set_schema(tenant_a.schema_name)
    rule = EngagementRule.objects.get()
    connection.set_schema_to_public()
    card = page.get_by_test_id(f"rule-{rule.pk}")
    expect(card.locator("h3")).to_have_text("Checkout help")
    expect(card.get_by_test_id("shown")).to_have_text("0")
    expect(page.locator("#engagement-empty")).to_have_count(0)
    expect(page.get_by_test_id("rule-new").get_by_label("Name")).to_have_value("")  # ready for the next one
    assert (rule.capacity, rule.max_wait_seconds, rule.conversion_event) == ("short_wait", 45, "order")

    # Visitors were invited: the funnel of the last 30 days shows it.
    connection.set_schema(tenant_a.schema_name)
    now = timezone.now()
    for n in range(4):
        contact = Contact.objects.create()
        Invitation.objects.create(
            rule=rule,
            contact=contact,
            visitor_id=f"v{n}",
            session_id=f"s{n}",
            shown_at=now,
            accepted_at=now if n < 2 else None,
            converted_at=now if n == 0 else None,
        )
    Invitation.objects.create(
        rule=rule, contact=contact, visitor_id="old", session_id="old", shown_at=now - timezone.timedelta(days=60)
    )
    connection.set_schema_to_public()
    page.reload()
    card = page.get_by_test_id(f"rule-{rule.pk}")
    expect(card.get_by_test_id("shown")).to_have_text("4")
    expect(card.get_by_test_id("accepted")).to_have_text("2 · 50.0%")
    expect(card.get_by_test_id("converted")).to_have_text("1 · 25.0%")
    expect(card.get_by_test_id("funnel")).to_have_attribute("aria-label", "4 shown, 2 accepted, 1 converted")
    page.get_by_test_id("periods").get_by_role("link", name="All time").click()
    expect(page.get_by_test_id(f"rule-{rule.pk}").get_by_test_id("shown")).to_have_text("5")

    # Switch it off, keyboard only: its counts stay.
    card = page.get_by_test_id(f"rule-{rule.pk}")
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    card.get_by_label("Active").uncheck()
    card.get_by_role("button", name="Save").click()
    card = page.get_by_test_id(f"rule-{rule.pk}")
    expect(card.get_by_test_id("saved")).to_be_visible()
    expect(card.get_by_test_id("saved")).to_have_text("Saved.")
    expect(card.locator("h3")).to_contain_text("(off)")
    connection.set_schema(tenant_a.schema_name)
    assert EngagementRule.objects.get().enabled is False
    verbs = list(AuditEntry.objects.filter(verb__startswith="journey.engagement").values_list("verb", flat=True))
    assert sorted(verbs) == ["journey.engagement_rule_changed", "journey.engagement_rule_created"]
    User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    User.objects.create_user(email=f"al@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id(f"rule-{rule.pk}")).to_have_count(0)
    connection.set_schema(tenant_a.schema_name)
    assert not EngagementRule.objects.exists()
    connection.set_schema_to_public()
    page.context.close()

    # A supervisor reads the page, without the forms; an agent may not.
    sue = Client(HTTP_HOST=tenant_a.host)
    assert sue.post("/login/", {"username": f"sue@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    seen = sue.get("/settings/engagement/")
    assert seen.status_code == 200 and b"rule-new" not in seen.content
    assert sue.post("/settings/engagement/", {"name": "X"}).status_code == 403
    al = Client(HTTP_HOST=tenant_a.host)
    assert al.post("/login/", {"username": f"al@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    assert al.get("/settings/engagement/").status_code == 403
