"""The short routing lists in Chromium (skills, teams, reason codes, dispositions, interaction
attributes) and business hours: each bad input explained at its field with nothing saved, each good
one saved through the API's serializer and the owning app's action (read back, with its audit row),
deleting something in use refused with what uses it; supervisors read, agents are refused."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import do_set_skills, ensure_agent_profile
from apps.agents.models import AgentProfile, ReasonCode, Skill, Team
from apps.inbox.models import Disposition, Interaction
from apps.routing.models import BusinessHours, InteractionAttribute, Queue, RoutingStep
from tests.a11y import serious_violations
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.console.test_widget_settings_browser import signed_in

signed_in_as = signed_in_page


def audited(verb: str, obj: Any, actor: User) -> bool:
    return AuditEntry.objects.filter(verb=verb, object_id=str(obj.pk), actor=actor).exists()


def item(page: Any, obj: Any) -> Any:
    return page.get_by_test_id(f"item-{obj.pk}")


def new_form(page: Any) -> Any:
    return page.get_by_test_id("item-new")


def test_skills_added_checked_edited_and_deleted_only_when_unused(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Skills", exact=True).click()
    expect(page.locator("h1")).to_have_text("Skills")
    assert serious_violations(page) == []

    form = new_form(page)
    form.get_by_label("Name").fill("Billing team")
    form.get_by_role("button", name="Add").click()
    expect(new_form(page).locator("[data-field=name]")).to_have_text(
        "Use only letters, digits, dashes and underscores, without spaces."
    )
    expect(new_form(page).get_by_label("Name")).to_have_value("Billing team")  # what was typed stays
    connection.set_schema(tenant_a.schema_name)
    assert not Skill.objects.exists()  # nothing saved

    new_form(page).get_by_label("Name").fill("billing")
    new_form(page).get_by_label("Description").fill("Invoices and refunds")
    new_form(page).get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("“billing” added.")
    billing = Skill.objects.get(name="billing")
    assert billing.description == "Invoices and refunds"
    assert audited("skill.created", billing, tenant_a.owner)

    new_form(page).get_by_label("Name").fill("billing")
    new_form(page).get_by_role("button", name="Add").click()
    expect(new_form(page).locator("[data-field=name]")).to_have_text("skill with this name already exists.")
    assert Skill.objects.count() == 1

    # By keyboard: Tab to Save, Enter; the swapped-in form keeps the focus on Save.
    item(page, billing).get_by_label("Description").fill("Invoices, refunds, VAT")
    item(page, billing).get_by_label("Description").press("Tab")
    page.keyboard.press("Enter")
    expect(item(page, billing).get_by_test_id("saved")).to_have_text("Saved.")
    expect(item(page, billing).get_by_role("button", name="Save")).to_be_focused()
    billing.refresh_from_db()
    assert billing.description == "Invoices, refunds, VAT"
    assert audited("skill.updated", billing, tenant_a.owner)

    # In use: an agent holds it, then a routing step names it.
    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann"))
    do_set_skills(ann, {"billing": 4})
    item(page, billing).get_by_role("button", name="Delete").click()
    expect(item(page, billing).locator("[data-field=name]")).to_have_text(
        "“billing” cannot be deleted: 1 agent has it. Take it from them first."
    )
    do_set_skills(ann, {})
    RoutingStep.objects.create(queue=Queue.objects.get(name="Support"), order=0, expression="skills.billing >= 3")
    item(page, billing).get_by_role("button", name="Delete").click()
    expect(item(page, billing).locator("[data-field=name]")).to_have_text(
        "“billing” cannot be deleted: routing steps of Support use it. Change them first."
    )
    item(page, billing).get_by_label("Name").fill("invoicing")  # renaming would break the step
    item(page, billing).get_by_role("button", name="Save").click()
    expect(item(page, billing).locator("[data-field=name]")).to_have_text(
        "Routing steps of Support use skills.billing: change them before renaming the skill."
    )
    assert Skill.objects.filter(name="billing").exists()
    RoutingStep.objects.all().delete()
    item(page, billing).get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("deleted")).to_have_text("“billing” deleted.")
    assert not Skill.objects.exists()
    assert AuditEntry.objects.filter(verb="skill.deleted", object_id=str(billing.pk), actor=tenant_a.owner).exists()
    page.context.close()


def test_teams_reason_codes_dispositions_and_attributes(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    system = ReasonCode.objects.create(name="Missed offers", is_system=True)
    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann"))
    connection.set_schema_to_public()
    page = signed_in(browser, web_server, tenant_a)
    page.on("dialog", lambda dialog: dialog.accept())

    # Teams: a blank name is refused; a team with members cannot be deleted.
    page.goto(web_server.url("/settings/teams/", subdomain=tenant_a.subdomain))
    new_form(page).get_by_role("button", name="Add").click()
    expect(new_form(page).locator("[data-field=name]")).to_have_text("This field may not be blank.")
    new_form(page).get_by_label("Name").fill("Night shift")
    new_form(page).get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("“Night shift” added.")
    connection.set_schema(tenant_a.schema_name)
    team = Team.objects.get(name="Night shift")
    assert audited("team.created", team, tenant_a.owner)
    ann.teams.add(team)
    item(page, team).get_by_role("button", name="Delete").click()
    expect(item(page, team).locator("[data-field=name]")).to_have_text(
        "“Night shift” cannot be deleted: 1 agent is in it. Take them out first."
    )
    assert Team.objects.filter(pk=team.pk).exists()

    # Reason codes: the product's own is shown fixed; one agents have used cannot be deleted.
    page.goto(web_server.url("/settings/reason-codes/", subdomain=tenant_a.subdomain))
    expect(item(page, system)).to_contain_text("Set by the product; it cannot be changed.")
    expect(item(page, system).get_by_role("button")).to_have_count(0)
    new_form(page).get_by_label("Name").fill("x" * 61)
    new_form(page).locator("input[name=name]").evaluate("el => el.removeAttribute('maxlength')")
    new_form(page).get_by_label("Name").fill("x" * 61)
    new_form(page).get_by_role("button", name="Add").click()
    expect(new_form(page).locator("[data-field=name]")).to_have_text(
        "Ensure this field has no more than 60 characters."
    )
    new_form(page).get_by_label("Name").fill("Lunch")
    new_form(page).get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("“Lunch” added.")
    lunch = ReasonCode.objects.get(name="Lunch")
    item(page, lunch).get_by_label("Name").fill("Lunch break")
    item(page, lunch).get_by_role("button", name="Save").click()
    expect(item(page, lunch).get_by_test_id("saved")).to_have_text("Saved.")
    lunch.refresh_from_db()
    assert lunch.name == "Lunch break" and audited("reason_code.updated", lunch, tenant_a.owner)
    ann.presence_history.create(state="away", reason=lunch)
    item(page, lunch).get_by_role("button", name="Delete").click()
    expect(item(page, lunch).locator("[data-field=name]")).to_have_text(
        "“Lunch break” cannot be deleted: agents have used it and reports still show it. Rename it instead."
    )

    # Dispositions: one an interaction carries cannot be deleted; an unused one can.
    page.goto(web_server.url("/settings/dispositions/", subdomain=tenant_a.subdomain))
    for name in ("Solved", "Spam"):
        new_form(page).get_by_label("Name").fill(name)
        new_form(page).get_by_role("button", name="Add").click()
        expect(page.get_by_role("status")).to_have_text(f"“{name}” added.")
    solved, spam = Disposition.objects.get(name="Solved"), Disposition.objects.get(name="Spam")
    assert audited("disposition.created", solved, tenant_a.owner)
    Interaction.objects.create(channel="chat", disposition=solved)
    item(page, solved).get_by_role("button", name="Delete").click()
    expect(item(page, solved).locator("[data-field=name]")).to_have_text(
        "“Solved” cannot be deleted: 1 interaction was resolved with it. Rename it instead."
    )
    item(page, spam).get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("deleted")).to_have_text("“Spam” deleted.")
    assert list(Disposition.objects.values_list("name", flat=True)) == ["Solved"]
    assert audited("disposition.deleted", spam, tenant_a.owner)

    # Interaction attributes: a name routing cannot use is refused; the type is a choice.
    page.goto(web_server.url("/settings/attributes/", subdomain=tenant_a.subdomain))
    new_form(page).get_by_label("Name").fill("cart value")
    new_form(page).get_by_role("button", name="Add").click()
    expect(new_form(page).locator("[data-field=name]")).to_have_text(
        "Use only letters, digits, dashes and underscores, without spaces."
    )
    new_form(page).get_by_label("Name").fill("cart_value")
    new_form(page).get_by_label("Type").select_option(label="Number")
    new_form(page).get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("“cart_value” added.")
    cart = InteractionAttribute.objects.get(name="cart_value")
    assert cart.type == "number" and audited("interaction_attribute.created", cart, tenant_a.owner)
    RoutingStep.objects.create(
        queue=Queue.objects.get(name="Support"), order=0, expression="interaction.cart_value > 100"
    )
    item(page, cart).get_by_role("button", name="Delete").click()
    expect(item(page, cart).locator("[data-field=name]")).to_have_text(
        "“cart_value” cannot be deleted: routing steps of Support test it. Change them first."
    )
    assert InteractionAttribute.objects.filter(pk=cart.pk).exists()
    page.context.close()


def test_business_hours_with_each_bad_input_explained(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Business hours").click()
    page.get_by_role("link", name="New business hours").click()
    assert serious_violations(page) == []
    weekly = page.get_by_test_id("weekly")
    weekly.get_by_label("Monday").fill("9-5")
    weekly.get_by_label("Tuesday").fill("18:00-09:00")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    holidays = page.get_by_test_id("holidays")
    holidays.get_by_label("Date").last.fill("2026-12-25")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator("[data-field=name]")).to_have_text("This field may not be blank.")
    expect(page.locator("[data-field=day_mon]")).to_have_text(
        "“9-5” is not like 09:00-17:00. Separate several spans with commas."
    )
    expect(page.locator("[data-field=day_tue]")).to_have_text(
        "tue: 18:00 is not before 09:00; split overnight hours across days."
    )
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    connection.set_schema(tenant_a.schema_name)
    assert not BusinessHours.objects.exists()

    page.get_by_label("Name", exact=True).fill("Office")
    page.get_by_test_id("weekly").get_by_label("Monday").fill("09:00-12:00, 13:00-17:30")
    page.get_by_test_id("weekly").get_by_label("Tuesday").fill("9:00-17:00")
    page.get_by_test_id("holidays").get_by_label("Date").last.fill("2026-12-25")  # the same date twice
    page.get_by_test_id("holidays").get_by_label("Holiday name").last.fill("Christmas again")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("[data-field=holidays]")).to_have_text("Each date may be listed once.")
    assert not BusinessHours.objects.exists()

    page.get_by_test_id("holidays").get_by_label("Date").nth(1).fill("2026-12-26")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("“Office” added.")
    office = BusinessHours.objects.get()
    assert office.timezone == "Europe/Berlin"
    assert office.weekly == {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "tue": [["09:00", "17:00"]]}
    assert sorted(str(h.date) for h in office.holidays.all()) == ["2026-12-25", "2026-12-26"]
    assert audited("business_hours.created", office, tenant_a.owner)

    # Edited in place (htmx): a bad time zone from a tampered form, then a good change.
    page.get_by_test_id("weekly").get_by_label("Sunday").fill("10:00-14:00")
    page.get_by_label("Time zone").evaluate("el => { el.options[el.selectedIndex].value = 'Mars/Olympus'; }")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-field=timezone]")).to_contain_text("Mars/Olympus")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    office.refresh_from_db()
    assert office.timezone == "Europe/Paris" and office.weekly["sun"] == [["10:00", "14:00"]]
    assert audited("business_hours.updated", office, tenant_a.owner)

    # Queues follow them: deleting is refused and says which.
    Queue.objects.filter(name="Support").update(business_hours=office)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete these business hours").click()
    expect(page.get_by_test_id("delete-error")).to_have_text(
        "“Office” cannot be deleted: the queue Support follows them. Give it other hours first."
    )
    Queue.objects.filter(name="Support").update(business_hours=None)
    page.get_by_role("button", name="Delete these business hours").click()
    expect(page.get_by_role("status")).to_have_text("“Office” deleted.")
    assert not BusinessHours.objects.exists()
    assert audited("business_hours.deleted", office, tenant_a.owner)
    page.context.close()


def test_supervisors_read_these_settings_and_agents_are_refused(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    Skill.objects.create(name="billing", description="Invoices")
    BusinessHours.objects.create(name="Office", weekly={"mon": [["09:00", "17:00"]]})
    User.objects.create_user(email="sue@x.test", password=PASSWORD, full_name="Sue", role="supervisor")
    User.objects.create_user(email="al@x.test", password=PASSWORD, full_name="Al", role="agent")
    connection.set_schema_to_public()

    page = signed_in_as(browser, web_server, tenant_a, "sue@x.test")
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    expect(page.get_by_test_id("supervisor-note")).to_be_visible()
    page.get_by_role("link", name="Skills", exact=True).click()
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("catalog-list")).to_contain_text("Invoices")
    expect(page.locator("input[name=name]")).to_have_count(0)
    status = page.evaluate(
        """async () => (await fetch("/settings/skills/", {method: "POST", body: new URLSearchParams({name: "x"}),
             headers: {"X-CSRFToken": document.cookie.match(/csrftoken=([^;]+)/)[1]}})).status"""
    )
    assert status == 403
    page.goto(web_server.url("/settings/hours/", subdomain=tenant_a.subdomain))
    expect(page.get_by_test_id("hours")).to_contain_text("Monday: 09:00-17:00")
    expect(page.get_by_role("link", name="Edit Office")).to_have_count(0)
    page.context.close()

    page = signed_in_as(browser, web_server, tenant_a, "al@x.test")
    for path in ("/settings/skills/", "/settings/teams/", "/settings/hours/", "/settings/agents/"):
        response = page.goto(web_server.url(path, subdomain=tenant_a.subdomain))
        assert response.status == 403, path
    page.context.close()
    connection.set_schema(tenant_a.schema_name)
    assert not AgentProfile.objects.filter(user__email="al@x.test", skill_levels__has_key="x").exists()
