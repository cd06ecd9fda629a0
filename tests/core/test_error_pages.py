"""Visitors never see Django's debug pages, even with DEBUG on as `make run` keeps it (issue 11,
section 4): errors on the public site and in the widget frame render the product's own page, with
the same status; API clients get the JSON error body. Signed-in users (developers) keep the debug
pages."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client, override_settings

from tests.conftest import PASSWORD, create_tenant

TECHNICAL = ("Traceback", "DEBUG = True", "URLconf", "Request Method")


def assert_product_page(response: Any, status: int, title: str) -> None:
    page = response.content.decode()
    assert response.status_code == status
    assert f'data-testid="error-page" data-status="{status}"' in page, page[:500]
    assert f"<h1>{title}</h1>" in page
    for leak in TECHNICAL:
        assert leak not in page


@override_settings(DEBUG=True)
def test_a_broken_widget_frame_shows_the_products_error_page_not_a_traceback() -> None:
    info = create_tenant("err")
    from apps.widget.models import WidgetKey

    connection.set_schema(info.schema_name)
    key = WidgetKey.objects.get().public_key
    connection.set_schema_to_public()
    # A real failure: the tenant's schema is gone while its domain still resolves.
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{info.schema_name}" CASCADE')
    try:
        visitor = Client(HTTP_HOST=info.host, raise_request_exception=False)
        assert_product_page(visitor.get(f"/widget/frame/?key={key}"), 500, "Something went wrong")
        # With a session cookie, finding out who is asking fails as well: still the product's page.
        visitor.cookies["sessionid"] = "0123456789abcdefghijklmnopqrstuv"
        assert_product_page(visitor.get(f"/widget/frame/?key={key}"), 500, "Something went wrong")
    finally:
        # The tenant without a schema must not outlive the test (a later migrate_schemas would stop on it).
        from apps.tenants.models import Tenant

        Tenant.objects.filter(pk=info.tenant.pk).delete()


@override_settings(DEBUG=True)
def test_public_pages_show_the_products_404_and_403() -> None:
    public = Client(HTTP_HOST="localhost", raise_request_exception=False)
    assert_product_page(public.get("/no-such-page/"), 404, "Page not found")
    strict = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    assert_product_page(strict.post("/signup/", {"company_name": "x"}), 403, "Not allowed")


@override_settings(DEBUG=True)
def test_signed_in_developers_keep_djangos_debug_pages() -> None:
    info = create_tenant("dev")
    owner = Client(HTTP_HOST=info.host)
    assert owner.post("/login/", {"username": info.email, "password": PASSWORD}).status_code == 302
    response = owner.get("/no-such-page/")
    assert response.status_code == 404 and "URLconf" in response.content.decode()


def test_without_debug_the_same_pages_are_served() -> None:
    public = Client(HTTP_HOST="localhost")
    assert_product_page(public.get("/no-such-page/"), 404, "Page not found")
