# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The widget's greeting per language: written on the settings page (or the API, with the same
checks), read by each visitor in the language their browser asks for; a greeting never changed is
the stock one, translated."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry
from apps.widget.models import DEFAULT_GREETING, WidgetKey
from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in
from tests.inbox.conftest import Shop, make_center, shop  # noqa: F401  (the fixture)

JSON = "application/json"


def test_greetings_per_language_over_the_api_are_checked_and_used_by_the_frame(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    key = WidgetKey.objects.get()
    client = Client(HTTP_HOST=tenant_a.host)
    client.force_login(tenant_a.owner)

    def frame_greeting(accept_language: str) -> str:
        page = Client(HTTP_HOST=tenant_a.host, HTTP_ACCEPT_LANGUAGE=accept_language).get(
            f"/widget/frame/?key={key.public_key}"
        )
        assert page.status_code == 200
        return str(page.context["config"]["greeting"])

    # Never changed: every visitor reads the stock greeting in their language.
    with translation.override("zh-hans"):
        stock_zh = translation.gettext(DEFAULT_GREETING)
    assert stock_zh != DEFAULT_GREETING  # the catalogue has it
    assert frame_greeting("en-US,en;q=0.9") == DEFAULT_GREETING
    assert frame_greeting("zh-CN,zh;q=0.9") == stock_zh

    refused = client.patch(
        f"/api/v1/widget-keys/{key.pk}", {"greetings": {"fr": "Bonjour", "zh-hans": "您好"}}, content_type=JSON
    )
    assert refused.status_code == 400
    assert "fr is not a language of the product (en, zh-hans)." in refused.json()["error"]["fields"]["greetings"]
    key.refresh_from_db()
    assert key.greetings == {}  # nothing half-saved
    assert client.patch(f"/api/v1/widget-keys/{key.pk}", {"greetings": "您好"}, content_type=JSON).status_code == 400

    saved = client.patch(
        f"/api/v1/widget-keys/{key.pk}",
        {"greeting": "Welcome to Alpha!", "greetings": {"ZH-Hans": " 欢迎光临 Alpha！ "}},  # noqa: RUF001
        content_type=JSON,
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["greetings"] == {"zh-hans": "欢迎光临 Alpha！"}  # noqa: RUF001
    assert AuditEntry.objects.filter(verb="widget_key.updated", object_id=str(key.pk)).exists()
    assert frame_greeting("zh-CN,zh;q=0.9") == "欢迎光临 Alpha！"  # noqa: RUF001
    assert frame_greeting("en-GB") == "Welcome to Alpha!"

    # An empty text removes the language's own greeting: the main one is shown again.
    assert (
        client.patch(f"/api/v1/widget-keys/{key.pk}", {"greetings": {"zh-hans": ""}}, content_type=JSON).json()[
            "greetings"
        ]
        == {}
    )
    assert frame_greeting("zh-CN") == "Welcome to Alpha!"


def test_a_greeting_written_in_chinese_on_the_settings_page_greets_chinese_visitors(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    center = make_center(shop.origin)
    page = signed_in(browser, web_server, center.info)
    page.goto(web_server.url("/settings/widget/", subdomain=center.info.subdomain))
    card = page.get_by_test_id("widget-key").first
    chinese = card.get_by_label("Greeting in Simplified Chinese")
    with translation.override("zh-hans"):
        expect(chinese).to_have_attribute("placeholder", translation.gettext(DEFAULT_GREETING))
    chinese.fill("您好，我们能帮您什么？")  # noqa: RUF001
    card.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    expect(page.get_by_label("Greeting in Simplified Chinese")).to_have_value("您好，我们能帮您什么？")  # noqa: RUF001
    connection.set_schema(center.info.schema_name)
    assert WidgetKey.objects.get(pk=center.key.pk).greetings == {"zh-hans": "您好，我们能帮您什么？"}  # noqa: RUF001
    page.context.close()

    for locale, greeting in (("zh-CN", "您好，我们能帮您什么？"), ("en-US", center.key.greeting)):  # noqa: RUF001
        visitor = browser.new_context(locale=locale).new_page()
        visitor.set_default_timeout(15000)
        visitor.goto(shop.page("widget.html", center.snippet(web_server)))
        visitor.locator("[data-ccaas-widget] button").click()
        expect(visitor.frame_locator("[data-ccaas-widget] iframe").locator("#title")).to_have_text(greeting)
        visitor.context.close()
