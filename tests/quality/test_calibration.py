"""Calibration (issue 15): three supervisors score the same chat, one the expert; the page shows each
answer's spread and each evaluator's deviation from the expert (in Chromium); calibration scores count
in no agent's figures and the agent never sees them."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction
from apps.quality.actions import do_create_form
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.quality.test_evaluations import FORM


def test_calibration_spread_and_deviation(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    users = {
        name: User.objects.create_user(
            email=f"{name}@{tenant_a.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        for name, role in (("sue", "supervisor"), ("rex", "supervisor"), ("tom", "supervisor"), ("ann", "agent"))
    }
    ann = ensure_agent_profile(users["ann"])
    chat = Interaction.objects.create(channel="chat", assigned_agent=ann, status="resolved")
    form = do_create_form(users["sue"], "Chats", FORM)
    connection.set_schema_to_public()

    def client(name: str) -> Any:
        c = Client(HTTP_HOST=tenant_a.host)
        assert c.post("/login/", {"username": users[name].email, "password": PASSWORD}).status_code == 302

        def call(method: str, path: str, body: Any = None) -> Any:
            data = json.dumps(body) if body is not None else ""
            return getattr(c, method)(path, data, content_type="application/json")

        return call

    sue = client("sue")
    body = {"interaction": chat.pk, "form": form.pk, "expert": users["sue"].pk}
    bad = sue("post", "/api/v1/qa/calibrations", {**body, "evaluators": [users["ann"].pk]})
    assert bad.status_code == 400 and "evaluators" in bad.json()["error"]["fields"]
    made = sue("post", "/api/v1/qa/calibrations", {**body, "evaluators": [users["rex"].pk, users["tom"].pk]})
    assert made.status_code == 201
    cid = made.json()["id"]
    drafts = {p["evaluator"]["id"]: p["evaluation"] for p in made.json()["evaluators"]}
    assert set(drafts) == {users["sue"].pk, users["rex"].pk, users["tom"].pk}

    answers = {
        "sue": {"greeted": "yes", "verified": "yes", "clarity": 5, "outcome": 0},  # 100
        "rex": {"greeted": "yes", "verified": "yes", "clarity": 3, "outcome": 0},  # 85
        "tom": {"greeted": "no", "verified": "yes", "clarity": 1, "outcome": 2},  # 20
    }
    for name, given in answers.items():
        eid = drafts[users[name].pk]
        who = client(name)
        assert who("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": given}).status_code == 200
        assert who("post", f"/api/v1/qa/evaluations/{eid}/submit").json()["score"] in (100.0, 85.0, 20.0)
    results = sue("get", f"/api/v1/qa/calibrations/{cid}").json()
    by_name = {p["evaluator"]["name"]: p for p in results["evaluators"]}
    assert (by_name["Sue"]["deviation"], by_name["Rex"]["deviation"], by_name["Tom"]["deviation"]) == (
        0.0,
        -15.0,
        -80.0,
    )
    assert (by_name["Rex"]["answers_differing"], by_name["Tom"]["answers_differing"]) == (1, 3)
    questions = {q["question"]: q for q in results["questions"]}
    assert (questions["clarity"]["spread"], questions["verified"]["spread"]) == (100.0, 0.0)

    # Ann sees none of it, and it is not in her figures.
    ann_client = client("ann")
    assert ann_client("get", "/api/v1/qa/evaluations").json()["results"] == []
    report = sue("get", "/api/v1/qa/reports").json()
    assert report["agents"] == []

    page = signed_in_page(browser, web_server, tenant_a, users["sue"].email)
    page.goto(web_server.url(f"/quality/calibrations/{cid}/", subdomain=tenant_a.subdomain))
    rows = page.get_by_test_id("calibration-evaluators")
    expect(rows.locator(f'tr[data-evaluator="{users["tom"].pk}"] [data-testid="deviation"]')).to_have_text("-80.0")
    expect(
        page.get_by_test_id("calibration-questions").locator('tr[data-question="clarity"] [data-testid="spread"]')
    ).to_have_text("100.0")
    page.context.close()
