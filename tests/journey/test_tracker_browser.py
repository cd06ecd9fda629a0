# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The tracker in the widget loader, in Chromium on a shop's own pages (issue 13): page views with
time on page, the site's own events (CCAAS.track), only allowed query parameters, nothing with
data-track="off", and an anonymous visitor's browsing joins the customer once the site identifies
them with a signed token."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

from apps.inbox.models import Contact, ContactIdentity
from apps.journey.actions import do_save_journey_settings
from apps.journey.models import WebEvent
from apps.widget.identity import sign_identity
from tests.conftest import WebServer, wait_until
from tests.inbox.conftest import ContactCenter, Shop, make_center, shop  # noqa: F401  (the fixture)


def events(center: ContactCenter) -> list[WebEvent]:
    connection.set_schema(center.info.schema_name)
    rows = list(WebEvent.objects.order_by("occurred_at", "pk"))
    connection.set_schema_to_public()
    return rows


def test_a_visit_is_recorded_as_the_customer_browses(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center(shop.origin)
    connection.set_schema(center.info.schema_name)
    do_save_journey_settings(None, allowed_query_params=["utm_source"])
    connection.set_schema_to_public()
    snippet = center.snippet(web_server)
    home = shop.page("home.html", snippet, "<a id='next' href='shoes.html?utm_source=mail&email=wu%40x.cn'>Shoes</a>")
    shop.page("shoes.html", snippet)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(home)
    # The visitor token arrives when the widget's frame has connected; the first batch follows it.
    wait_until(lambda: len(events(center)) >= 1, 20, "the first page view")
    page.click("#next")
    page.wait_for_url("**/shoes.html*")
    page.evaluate("CCAAS.track('cart', {value: 129, items: 3, coupon: 'SPRING'})")
    wait_until(lambda: len(events(center)) >= 3, 20, "the second page view and the cart event")
    context.close()  # pagehide: the time on the last page goes as a beacon

    rows = events(center)
    pages = [r for r in rows if r.kind == WebEvent.Kind.PAGE]
    assert [p.url for p in pages] == [f"{shop.origin}/home.html", f"{shop.origin}/shoes.html?utm_source=mail"]
    assert pages[0].title == "Acme shop" and len({r.session_id for r in rows}) == 1
    assert isinstance(pages[0].properties.get("seconds"), int)  # left for the next page: time on page
    cart = next(r for r in rows if r.name == "cart")
    assert cart.properties == {"value": 129, "items": 3, "coupon": "SPRING"}
    assert len({r.contact_id for r in rows}) == 1


def test_nothing_is_recorded_when_the_site_says_so(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center(shop.origin)
    off = center.snippet(web_server).replace("<script ", '<script data-track="off" ')
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(shop.page("private.html", off))
    frame = page.frame_locator("[data-ccaas-widget] iframe")
    page.locator("[data-ccaas-widget] button").click()
    frame.locator("#conn").wait_for(state="attached")
    page.evaluate("CCAAS.track('cart', {value: 1})")
    # The same page, tracking on, records within seconds: the control that this wait is long enough.
    on = context.new_page()
    on.goto(shop.page("public.html", center.snippet(web_server)))
    wait_until(lambda: len(events(center)) >= 1, 20, "the control page's view")
    on.close()
    page.close()
    context.close()
    assert {r.url for r in events(center)} == {f"{shop.origin}/public.html"}


def test_browsing_before_identifying_joins_the_customer(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center(shop.origin)
    # The business already knows Wu (synced from its CRM); today Wu browses before signing in.
    from apps.inbox.actions import do_create_contact

    connection.set_schema(center.info.schema_name)
    known = do_create_contact(None, {"name": "Wu Lei", "external_id": "cust-42"})
    connection.set_schema_to_public()
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(shop.page("browse.html", center.snippet(web_server)))
    wait_until(lambda: len(events(center)) >= 1, 20, "the anonymous page view")
    anonymous = events(center)[0].contact_id
    claims = {"sub": "cust-42", "name": "Wu Lei", "email": "wu@example.com", "exp": int(time.time()) + 300}
    page.evaluate("t => CCAAS.identify(t)", sign_identity(center.key.secret, claims))

    def customer() -> Contact | None:
        connection.set_schema(center.info.schema_name)
        found = (
            ContactIdentity.objects.filter(kind="external", value="cust-42", verified=True)
            .select_related("contact")
            .first()
        )
        connection.set_schema_to_public()
        return found.contact if found else None

    def merged_into() -> int | None:
        connection.set_schema(center.info.schema_name)
        into = Contact.objects.get(pk=anonymous).merged_into_id
        connection.set_schema_to_public()
        return into

    assert anonymous != known.pk
    wait_until(lambda: merged_into() == known.pk, 20, "the anonymous history to join the customer")
    wu = customer()
    assert wu is not None and wu.pk == known.pk
    page.evaluate("CCAAS.track('signed_in')")
    wait_until(lambda: any(r.name == "signed_in" for r in events(center)), 20, "the event after identifying")
    assert next(r for r in events(center) if r.name == "signed_in").contact_id == wu.pk
    context.close()

    from django.test import Client

    from tests.conftest import PASSWORD

    owner = Client(HTTP_HOST=center.info.host)
    assert owner.post("/login/", {"username": center.info.email, "password": PASSWORD}).status_code == 302
    journey = owner.get(f"/api/v1/contacts/{wu.pk}/journey", {"channel": "web"}).json()
    assert journey["contact"]["name"] == "Wu Lei"
    assert journey["entries"][0]["pages"][0]["url"] == f"{shop.origin}/browse.html"
