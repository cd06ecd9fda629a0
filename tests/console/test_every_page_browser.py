"""Every page of the one navigation, as an owner would walk it in Chromium: in Simplified Chinese
(the menu, each page's heading and its labels in Chinese, no English heading left), and on a phone-
sized window (every menu entry can be reached and opened)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in

CJK = re.compile(r"[\u4e00-\u9fff]")
# Names that stay as they are in Chinese too (product and protocol names).
ALLOWED_LATIN = {"API", "URL", "OpenAPI", "Stripe", "JavaScript"}


def _menu(page: Any) -> list[tuple[str, str]]:
    links = page.get_by_test_id("main-nav").locator("a")
    return [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def _check_translated(page: Any, href: str) -> None:
    heading = page.locator("h1").first.inner_text().strip()
    assert CJK.search(heading), f"{href}: heading {heading!r} is not translated"
    # Every visible label and button of the page is translated too.
    # The business's own names (a queue, an agent) are marked translate="no", as the standard says.
    texts = page.locator("main label, main button, main th, main h2").evaluate_all(
        "els => els.filter(e => !e.closest('[translate=no]')).map(e => e.innerText)"
    )
    english = [
        t
        for t in (x.strip() for x in texts)
        if t and re.search(r"[A-Za-z]{3,}", t) and not CJK.search(t) and t not in ALLOWED_LATIN
    ]
    assert not english, f"{href}: untranslated {english[:8]}"


def test_every_page_of_the_menu_in_simplified_chinese(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    page = signed_in(browser, web_server, tenant_a, locale="zh-CN")
    menu = _menu(page)
    assert len(menu) >= 6, menu  # home, desktop, settings, team, billing, developers at least
    for label, _href in menu:
        assert CJK.search(label), f"menu entry {label!r} is not translated"
    visited = []
    for label, href in menu:
        if href.startswith("/api/"):
            continue  # the API's reference (Swagger UI) is in English, as its schema is
        response = page.goto(web_server.url(href, subdomain=tenant_a.subdomain))
        assert response is not None and response.status == 200, (href, response and response.status)
        expect(page.get_by_test_id("main-nav").locator("[aria-current=page]")).to_have_text(label)
        if href == "/desktop/":
            visited.append(href)
            continue  # the desktop has its own layout and no page heading; its labels: tests/desktop
        _check_translated(page, href)
        visited.append(href)
    assert "/settings/" in visited and "/team/" in visited
    # And each settings page the settings index links to.
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    links = page.locator("main a[href^='/settings/']")
    pages = sorted({links.nth(i).get_attribute("href") for i in range(links.count())})
    assert len(pages) >= 3, pages
    for href in pages:
        response = page.goto(web_server.url(href, subdomain=tenant_a.subdomain))
        assert response is not None and response.status == 200, (href, response and response.status)
        _check_translated(page, href)
    page.context.close()


def test_the_menu_works_on_a_phone_sized_window(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.set_viewport_size({"width": 375, "height": 740})
    menu = _menu(page)
    for label, href in menu:
        link = page.get_by_test_id("main-nav").get_by_role("link", name=label, exact=True)
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
        if href != "/desktop/" and not href.startswith("/api/"):
            link.click()
            page.wait_for_url(f"**{href}")
            expect(page.get_by_test_id("main-nav").locator("[aria-current=page]")).to_have_text(label)
    # Nothing is wider than the window (no sideways scrolling of the page itself).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.context.close()
