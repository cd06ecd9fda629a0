"""Quality management (issue 15): a form's score with weights, N/A and critical questions; forms are
versioned and an evaluation keeps its version; the evaluation's life through the API: a draft, answers
checked against the questions, submitted with its score, read by its agent only, acknowledged or
disputed within the window, the dispute reviewed by someone else whose decision is final, all audited;
another tenant sees none of it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.core.errors import ValidationFailed
from apps.inbox.models import Interaction
from apps.quality.models import Evaluation
from apps.quality.scoring import clean_definition, score
from tests.conftest import PASSWORD, TenantInfo

FORM = {
    "sections": [
        {
            "title": "Opening",
            "questions": [
                {"id": "greeted", "text": "Greeted the customer by name", "kind": "yes_no", "weight": 1},
                {"id": "verified", "text": "Verified the identity", "kind": "yes_no", "weight": 2, "critical": True},
            ],
        },
        {
            "title": "Resolution",
            "questions": [
                {"id": "clarity", "text": "Explained clearly", "kind": "scale", "scale_max": 5, "weight": 3},
                {
                    "id": "outcome",
                    "text": "Outcome",
                    "kind": "choice",
                    "weight": 4,
                    "allow_na": True,
                    "options": [
                        {"label": "Solved", "points": 100},
                        {"label": "Partly", "points": 50},
                        {"label": "Not solved", "points": 0},
                    ],
                },
                {"id": "notes", "text": "Notes for the agent", "kind": "text"},
            ],
        },
    ]
}


def test_scoring_with_weights_na_and_critical_questions() -> None:
    form = clean_definition(FORM)
    # greeted 1 x 1 + verified 2 x 1 + clarity 3 x 3/4 + outcome 4 x 1/2 = 7.25 of 10
    assert score(form, {"greeted": "yes", "verified": True, "clarity": 4, "outcome": 1, "notes": "ok"}) == (72.5, False)
    # N/A leaves the question out: 1 + 2 + 2.25 of 6
    assert score(form, {"greeted": "yes", "verified": "yes", "clarity": 4, "outcome": "na"}) == (87.5, False)
    # A critical question answered no: the whole evaluation fails
    assert score(form, {"greeted": "yes", "verified": "no", "clarity": 5, "outcome": 0}) == (0.0, True)
    # A question that does not allow N/A refuses it, and a scale answer out of range is refused
    with pytest.raises(ValidationFailed):
        score(form, {"greeted": "na"})
    with pytest.raises(ValidationFailed):
        score(form, {"clarity": 6})
    bad = {"sections": [{"title": "x", "questions": [{"text": "q", "kind": "choice", "options": [{"label": "a"}]}]}]}
    with pytest.raises(ValidationFailed) as caught:
        clean_definition(bad)
    assert list(caught.value.fields or {}) == ["sections[0].questions[0].options"]


def people(tenant: TenantInfo) -> dict[str, Any]:
    connection.set_schema(tenant.schema_name)
    out: dict[str, Any] = {}
    for name, role in (("sue", "supervisor"), ("rex", "supervisor"), ("ann", "agent"), ("bob", "agent")):
        user = User.objects.create_user(email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role)
        out[name] = ensure_agent_profile(user)
    out["call"] = Interaction.objects.create(channel="voice", assigned_agent=out["ann"], status="resolved")
    out["chat"] = Interaction.objects.create(channel="chat", assigned_agent=out["ann"], status="resolved")
    connection.set_schema_to_public()
    return out


def client(tenant: TenantInfo, name: str) -> Any:
    c = Client(HTTP_HOST=tenant.host)
    assert c.post("/login/", {"username": f"{name}@{tenant.subdomain}.test", "password": PASSWORD}).status_code == 302

    def call(method: str, path: str, body: Any = None) -> Any:
        return getattr(c, method)(path, json.dumps(body) if body is not None else "", content_type="application/json")

    return call


def test_an_evaluation_from_draft_to_a_reviewed_dispute(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    p = people(tenant_a)
    sue, rex, ann, bob = (client(tenant_a, n) for n in ("sue", "rex", "ann", "bob"))
    assert ann("post", "/api/v1/qa/forms", {"name": "x", "definition": FORM}).status_code == 403
    made = sue("post", "/api/v1/qa/forms", {"name": "Calls", "definition": FORM})
    assert made.status_code == 201 and made.json()["version"] == 1 and "critical" in made.json()["score_formula"]
    form_id = made.json()["id"]

    # Nobody evaluates their own work.
    own = sue("post", "/api/v1/qa/evaluations", {"interaction": p["call"].pk, "form": form_id, "agent": p["sue"].pk})
    assert own.status_code == 403
    draft = sue("post", "/api/v1/qa/evaluations", {"interaction": p["call"].pk, "form": form_id})
    assert draft.status_code == 201 and draft.json()["agent"]["id"] == p["ann"].pk
    eid = draft.json()["id"]
    # The form changes: this evaluation keeps version 1.
    revised = dict(FORM, sections=[*FORM["sections"], {"title": "Close", "questions": [{"text": "Thanked"}]}])
    assert sue("put", f"/api/v1/qa/forms/{form_id}", {"definition": revised}).json()["version"] == 2

    bad = sue("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": {"clarity": 9, "mood": 1}})
    assert bad.status_code == 400 and "mood" in bad.json()["error"]["message"]
    assert sue("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": {"clarity": 9}}).json()["error"]["fields"] == {
        "clarity": ["A whole number from 1 to 5."]
    }
    saved = sue("patch", f"/api/v1/qa/evaluations/{eid}", {
        "answers": {"greeted": "yes", "verified": "yes", "clarity": 4},
        "comments": [{"at_seconds": 12.5, "text": "Good greeting"}],
    })  # fmt: skip
    assert saved.status_code == 200 and saved.json()["form"]["version"] == 1
    # A draft is its evaluator's: another supervisor may not answer or submit it, Ann does not see it yet.
    assert rex("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": {"greeted": "no"}}).status_code == 403
    assert rex("post", f"/api/v1/qa/evaluations/{eid}/submit").status_code == 403
    assert ann("get", f"/api/v1/qa/evaluations/{eid}").status_code == 404
    incomplete = sue("post", f"/api/v1/qa/evaluations/{eid}/submit")
    assert incomplete.status_code == 400 and set(incomplete.json()["error"]["fields"]) == {"outcome"}
    sue("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": {**saved.json()["answers"], "outcome": 1}})
    submitted = sue("post", f"/api/v1/qa/evaluations/{eid}/submit").json()
    assert (submitted["status"], submitted["score"], submitted["critical_failed"]) == ("submitted", 72.5, False)
    assert sue("patch", f"/api/v1/qa/evaluations/{eid}", {"answers": {}}).status_code == 409

    # Ann reads hers (Bob does not), disputes it; the window is the tenant's.
    assert [e["id"] for e in ann("get", "/api/v1/qa/evaluations").json()["results"]] == [eid]
    assert bob("get", f"/api/v1/qa/evaluations/{eid}").status_code == 404
    assert bob("post", f"/api/v1/qa/evaluations/{eid}/dispute", {"reason": "no"}).status_code == 404
    assert ann("post", f"/api/v1/qa/evaluations/{eid}/dispute", {"reason": ""}).status_code == 400
    disputed = ann("post", f"/api/v1/qa/evaluations/{eid}/dispute", {"reason": "The outcome was solved."})
    assert disputed.json()["status"] == "disputed"
    # Not the evaluator: someone else decides, and that is final.
    assert sue("post", f"/api/v1/qa/evaluations/{eid}/review", {"note": "Stands"}).status_code == 403
    answers = {**submitted["answers"], "outcome": 0}  # "Solved", as Ann says
    reviewed = rex("post", f"/api/v1/qa/evaluations/{eid}/review", {"note": "Checked the call", "answers": answers})
    assert reviewed.status_code == 200 and (reviewed.json()["status"], reviewed.json()["score"]) == ("resolved", 92.5)
    assert rex("post", f"/api/v1/qa/evaluations/{eid}/review", {"note": "again"}).status_code == 409
    assert ann("post", f"/api/v1/qa/evaluations/{eid}/dispute", {"reason": "again"}).status_code == 409

    # Another, acknowledged; a third, submitted too long ago to dispute.
    other = sue("post", "/api/v1/qa/evaluations", {"interaction": p["chat"].pk, "form": form_id}).json()["id"]
    # Made now: with version 2, whose new question ("Thanked", numbered q6) must be answered too.
    full = {"greeted": "no", "verified": "yes", "clarity": 5, "outcome": "na", "q6": "yes"}
    assert sue("patch", f"/api/v1/qa/evaluations/{other}", {"answers": full}).json()["form"]["version"] == 2
    assert sue("post", f"/api/v1/qa/evaluations/{other}/submit").json()["score"] == 85.71  # 6 of 7
    assert ann("post", f"/api/v1/qa/evaluations/{other}/acknowledge").json()["status"] == "acknowledged"
    late = sue("post", "/api/v1/qa/evaluations", {"interaction": p["chat"].pk, "form": form_id}).json()["id"]
    sue("patch", f"/api/v1/qa/evaluations/{late}", {"answers": full})
    sue("post", f"/api/v1/qa/evaluations/{late}/submit")
    connection.set_schema(tenant_a.schema_name)
    Evaluation.objects.filter(pk=late).update(submitted_at=timezone.now() - timedelta(days=40))
    verbs = list(AuditEntry.objects.filter(verb__startswith="quality.").values_list("verb", flat=True))
    connection.set_schema_to_public()
    closed = ann("post", f"/api/v1/qa/evaluations/{late}/dispute", {"reason": "Too harsh"})
    assert closed.status_code == 409 and closed.json()["error"]["message"] == (
        "Evaluations can be disputed within 7 days of being submitted."
    )
    expected = {
        "quality.form_created",
        "quality.form_revised",
        "quality.evaluation_submitted",
        "quality.evaluation_disputed",
        "quality.dispute_reviewed",
        "quality.evaluation_acknowledged",
    }
    assert expected <= set(verbs)

    # The scores reach Ann's scorecard: this month's average (the one from 40 days ago is not in it).
    card = client(tenant_a, "owner")("get", f"/api/v1/reports/scorecards/{p['ann'].pk}?period=month").json()
    qa = next(m for m in card["metrics"] if m["name"] == "qa_score")
    assert (qa["label"], qa["value"]) == ("Quality score", round((92.5 + 85.71) / 2, 2))
    assert qa["trend"][-1] == qa["value"] and qa["trend"][-2] in (None, 85.71)

    # Reported per agent, form and question (the last 30 days: the two of this month, not the late one).
    report = sue("get", "/api/v1/qa/reports").json()
    assert report["agents"] == [{"id": p["ann"].pk, "name": "ann", "n": 2, "average": round((92.5 + 85.71) / 2, 2)}]
    assert [(f["name"], f["n"]) for f in report["forms"]] == [("Calls", 2)]
    by_question = {(q["version"], q["question"]): q for q in report["questions"]}
    assert by_question[(1, "outcome")]["average"] == 100.0  # "Solved", after the review
    assert (by_question[(2, "outcome")]["na"], by_question[(2, "outcome")]["average"]) == (1, None)
    assert by_question[(2, "greeted")]["average"] == 0.0
    assert sue("get", "/api/v1/qa/reports?from=yesterday").status_code == 400
    assert ann("get", "/api/v1/qa/reports").status_code == 403

    # Another business: none of it.
    connection.set_schema(tenant_b.schema_name)
    User.objects.create_user(email=f"sue@{tenant_b.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    stranger = client(tenant_b, "sue")
    assert stranger("get", f"/api/v1/qa/evaluations/{eid}").status_code == 404
    assert stranger("get", "/api/v1/qa/evaluations").json()["results"] == []
    assert stranger("get", f"/api/v1/qa/forms/{form_id}").status_code == 404
