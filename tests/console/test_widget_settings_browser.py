"""The widget settings page in Chromium: a bad address is explained in place and nothing is saved;
a good one is saved normalised, with a confirmation; the snippet copies; in Simplified Chinese too."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.widget.models import WidgetKey
from tests.conftest import PASSWORD, TenantInfo, WebServer


def signed_in(browser: Any, web: WebServer, tenant: TenantInfo, locale: str = "en-US") -> Any:
    context = browser.new_context(locale=locale)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=web.url("/", subdomain=tenant.subdomain)[:-1]
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(web.url("/login/", subdomain=tenant.subdomain))
    page.fill("input[name=username]", tenant.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")
    return page


def test_widget_settings_explain_bad_addresses_and_save_good_ones(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Chat widget").click()
    expect(page.get_by_test_id("main-nav").locator("[aria-current=page]")).to_have_text("Settings")
    card = page.get_by_test_id("widget-key").first
    card.locator("textarea[name=allowed_origins]").fill("shop dot com\nhttp://127.0.0.1:9100/")
    card.get_by_role("button", name="Save").click()
    error = page.locator("[data-field=allowed_origins]")
    expect(error).to_have_text("“shop dot com” has spaces: enter an address like https://shop.example.com.")
    expect(page.locator("textarea[name=allowed_origins]")).to_have_value("shop dot com\nhttp://127.0.0.1:9100/")
    connection.set_schema(tenant_a.schema_name)
    assert WidgetKey.objects.get().allowed_origins == []  # nothing half-saved

    page.locator("textarea[name=allowed_origins]").fill("http://127.0.0.1:9100/\nShop.Example.com/cart")
    page.locator("input[name=greeting]").fill("Hello from Alpha!")
    expect(page.locator(".preview-head")).to_have_text("Hello from Alpha!")  # the preview follows the typing
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    expect(page.locator("textarea[name=allowed_origins]")).to_have_value(
        "http://127.0.0.1:9100\nhttps://shop.example.com"
    )
    assert WidgetKey.objects.get().allowed_origins == ["http://127.0.0.1:9100", "https://shop.example.com"]
    assert WidgetKey.objects.get().greeting == "Hello from Alpha!"

    snippet = page.get_by_test_id("widget-snippet").text_content() or ""
    assert snippet.startswith("<script src=") and snippet.endswith("async></script>")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    page.context.close()


def test_settings_in_simplified_chinese(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, web_server, tenant_a, locale="zh-CN")
    page.goto(web_server.url("/settings/widget/", subdomain=tenant_a.subdomain))
    nav = page.get_by_test_id("main-nav")
    expect(nav.locator("[aria-current=page]")).to_have_text("设置")
    expect(page.locator("h1")).to_have_text("聊天插件")
    page.locator("textarea[name=allowed_origins]").fill("shop dot com")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[data-field=allowed_origins]")).to_have_text(
        "“shop dot com”包含空格：请输入类似 https://shop.example.com 的地址。"  # noqa: RUF001
    )
    page.context.close()
