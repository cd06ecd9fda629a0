"""The header's language menu for a signed-in user changes their profile's language, so the choice
sticks (the profile's language wins over the cookie on every page); the name in the header opens the
profile page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in


def test_the_language_menu_sets_the_profile_language_and_the_name_opens_the_profile(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    User.objects.filter(pk=tenant_a.owner.pk).update(language="zh-hans")
    page = signed_in(browser, web_server, tenant_a, locale="en-US")
    expect(page.get_by_test_id("main-nav").get_by_role("link", name="设置")).to_be_visible()

    page.get_by_label("语言").select_option("en")
    expect(page.get_by_test_id("main-nav").get_by_role("link", name="Settings")).to_be_visible()
    assert User.objects.get(pk=tenant_a.owner.pk).language == "en"
    assert AuditEntry.objects.filter(verb="user.profile_updated", object_id=str(tenant_a.owner.pk)).exists()
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    expect(page.locator("h1")).to_have_text("Settings")  # it sticks on the next pages

    page.get_by_test_id("user-name").click()
    page.wait_for_url("**/profile/")
    expect(page.locator("#profile-language")).to_have_value("en")
    page.context.close()
