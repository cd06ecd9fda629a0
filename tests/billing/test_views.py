"""The billing pages and API as owners, admins and agents see them; free development mode; the
platform admin's list of tenants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from apps.accounts.models import User
from apps.billing.selectors import total_mrr_cents
from tests.billing.conftest import LocalStripe
from tests.billing.helpers import account_of, add_member, logged_in_client, subscribe
from tests.conftest import PASSWORD, TenantInfo

pytestmark = pytest.mark.usefixtures("localstripe")


def test_billing_page_shows_plan_trial_seats_invoices_and_upcoming(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    info = tenant_factory("pg")
    client = logged_in_client(info)
    trial = client.get("/billing/").content.decode()
    assert 'data-testid="trial-days-left">14 days left' in trial
    assert "0 of 3 seats in use" in trial
    assert 'data-testid="subscribe-link"' in trial

    subscribe(localstripe, info, seats=2, trial=False)
    page = client.get("/billing/").content.decode()
    assert 'data-status="active"' in page
    assert "0 of 2 seats in use" in page
    assert page.count('data-testid="invoice-row" data-status="paid"') == 1
    assert "30.00 USD" in page
    assert "Next invoice: 30.00 USD" in page
    assert 'data-testid="seat-history"' in page and info.email in page


def test_billing_api_changes_seats_with_the_error_shape(tenant_factory: Any, localstripe: LocalStripe) -> None:
    info = tenant_factory("api")
    subscribe(localstripe, info, seats=2, trial=False)
    add_member(info, "Ann Agent")
    add_member(info, "Ben Agent")
    client = logged_in_client(info)
    account = client.get("/api/v1/billing/account").json()
    assert account["mode"] == "stripe" and account["seats"] == 2 and account["seats_in_use"] == 2

    refused = client.put("/api/v1/billing/seats", json.dumps({"seats": 1}), content_type="application/json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "seats_in_use" and "Ann Agent" in error["message"]
    assert {d["name"] for d in error["deactivate"]} == {"Ann Agent", "Ben Agent"}
    assert error["fields"] == {"seats": ["At least 2 seats are in use."]}

    bad = client.put("/api/v1/billing/seats", json.dumps({"seats": 0}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"

    ok = client.put("/api/v1/billing/seats", json.dumps({"seats": 4}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["to_seats"] == 4 and ok.json()["invoice"]
    invoices = client.get("/api/v1/billing/invoices").json()
    assert len(invoices["invoices"]) == 2 and invoices["upcoming"]["amount_due"] == 60.0


def test_agents_and_supervisors_cannot_see_or_change_billing(tenant_factory: Any) -> None:
    info = tenant_factory("perm")
    for role in (User.Role.AGENT, User.Role.SUPERVISOR):
        member = add_member(info, f"M {role}", role=role)
        client = logged_in_client(info, member.email)
        assert client.get("/billing/").status_code == 403
        assert client.post("/billing/seats/", {"seats": 9}).status_code == 403
        assert client.get("/team/").status_code == 403
        response = client.put("/api/v1/billing/seats", json.dumps({"seats": 9}), content_type="application/json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    admin = add_member(info, "Ada Admin", role=User.Role.ADMIN)
    assert logged_in_client(info, admin.email).get("/billing/").status_code == 200
    assert Client(HTTP_HOST=info.host).get("/billing/").status_code == 302  # to sign in


def test_free_development_mode_without_keys(tenant_factory: Any) -> None:
    info = tenant_factory("free")
    with override_settings(STRIPE_SECRET_KEY="", STRIPE_PUBLISHABLE_KEY="", STRIPE_API_BASE=""):
        client = logged_in_client(info)
        page = client.get("/billing/").content.decode()
        assert "free development mode" in page and 'data-testid="subscribe-link"' not in page
        assert client.get("/api/v1/billing/account").json()["mode"] == "free"
        # Seats are not counted: a trial of 3 seats takes 5 agents.
        for n in range(5):
            add_member(info, f"Agent {n}")
        assert account_of(info).seats == 3
        assert client.get("/billing/subscribe/").status_code == 302


def test_platform_admin_sees_every_tenant_with_plan_seats_status_and_mrr(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    paying: TenantInfo = tenant_factory("mrr")
    subscribe(localstripe, paying, seats=3, trial=False, plan="pro")
    add_member(paying, "Pat Agent")
    trialing: TenantInfo = tenant_factory("trial")

    User.objects.create_user(email=f"staff-{paying.subdomain}@platform.test", password=PASSWORD, is_staff=True)
    staff = Client(HTTP_HOST="localhost")
    assert staff.login(username=f"staff-{paying.subdomain}@platform.test", password=PASSWORD)
    page = staff.get("/platform/tenants/").content.decode()
    row = page.split(f'data-subdomain="{paying.subdomain}"')[1].split("</tr>")[0]
    assert "Pro" in row and "1 / 3" in row and "Active" in row and "105.00 USD" in row
    row = page.split(f'data-subdomain="{trialing.subdomain}"')[1].split("</tr>")[0]
    assert "Starter" in row and "Trial" in row and "0.00" in row
    assert total_mrr_cents() >= 10500

    tenant_owner = Client(HTTP_HOST="localhost")  # a tenant's owner is nobody on the public site
    assert tenant_owner.get("/platform/tenants/").status_code == 302
