"""Automatic answers (issue 15): a form's yes / no question may carry an `auto` rule (a phrase said or
written by a party within the first N seconds; a party's sentiment at least some score); when an
evaluation starts such questions are answered from interaction analytics, with the evidence kept (and
shown as a comment), and the evaluator can change the answer. Calls are answered from the phrases
spotted in the recording, which the form's phrases are listened for."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.analytics.actions import do_store_analysis
from apps.analytics.analysis import analyse
from apps.analytics.models import AutoAnswer, WatchedPhrase
from apps.analytics.selectors import auto_answers_for
from apps.core.errors import ValidationFailed
from apps.inbox.models import Interaction
from apps.media.models import Call, Recording
from apps.quality.scoring import clean_definition
from tests.analytics.conftest import chat
from tests.analytics.synth import write_recording
from tests.conftest import PASSWORD, TenantInfo

GREETING = {"kind": "phrase", "party": "agent", "phrases": ["hello", "welcome", "您好"], "within_seconds": 60}
FORM = {
    "sections": [
        {
            "title": "Automatic",
            "questions": [
                {"id": "greeted", "text": "Greeted the customer", "auto": GREETING},
                {"id": "fast", "text": "Greeted at once", "auto": {**GREETING, "within_seconds": 1}},
                {"id": "happy", "text": "Customer ended happy", "auto": {"kind": "sentiment", "party": "customer",
                                                                         "at_least": 0, "of": "end"}},
                {"id": "refund", "text": "Customer asked for a refund",
                 "auto": {"kind": "phrase", "party": "customer", "phrases": ["refund", "退款"]}},
                {"id": "manual", "text": "Was polite"},
            ],
        }
    ]
}  # fmt: skip


def test_rules_are_checked_with_the_form() -> None:
    cleaned = clean_definition(FORM)["sections"][0]["questions"]
    assert cleaned[0]["auto"] == GREETING and cleaned[2]["auto"]["of"] == "end" and "auto" not in cleaned[4]
    for bad, field in (
        ({"kind": "phrase", "party": "boss", "phrases": ["hi"]}, "sections[0].questions[0].auto.party"),
        ({"kind": "phrase", "phrases": []}, "sections[0].questions[0].auto.phrases"),
        ({"kind": "phrase", "phrases": ["hi"], "within_seconds": -5}, "sections[0].questions[0].auto.within_seconds"),
        ({"kind": "sentiment", "at_least": 2}, "sections[0].questions[0].auto.at_least"),
        ({"kind": "mood"}, "sections[0].questions[0].auto.kind"),
        ("hello", "sections[0].questions[0].auto"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            clean_definition({"sections": [{"title": "s", "questions": [{"text": "q", "auto": bad}]}]})
        assert list(caught.value.fields or {}) == [field], bad
    with pytest.raises(ValidationFailed) as caught:
        clean_definition(
            {"sections": [{"title": "s", "questions": [{"text": "q", "kind": "scale", "auto": GREETING}]}]}
        )
    assert list(caught.value.fields or {}) == ["sections[0].questions[0].auto"]


def _setup(tenant: TenantInfo) -> tuple[Client, User, Any, int]:
    connection.set_schema(tenant.schema_name)
    sue = User.objects.create_user(email=f"sue@{tenant.subdomain}.test", password=PASSWORD, role="supervisor")
    ann = ensure_agent_profile(User.objects.create_user(email=f"ann@{tenant.subdomain}.test", password=PASSWORD))
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": sue.email, "password": PASSWORD}).status_code == 302
    made = client.post("/api/v1/qa/forms", json.dumps({"name": "Auto", "definition": FORM}), "application/json")
    assert made.status_code == 201, made.content
    return client, sue, ann, made.json()["id"]


def _start(client: Client, interaction: Interaction, form: int) -> dict[str, Any]:
    started = client.post(
        "/api/v1/qa/evaluations", json.dumps({"interaction": interaction.pk, "form": form}), "application/json"
    )
    assert started.status_code == 201, started.content
    return dict(started.json())


def test_a_chat_is_answered_from_its_transcript_and_the_evaluator_can_change_it(tenant_a: TenantInfo) -> None:
    client, _sue, ann, form = _setup(tenant_a)
    # The form's phrases are listened for in calls from now on (English only for PocketSphinx).
    assert {"hello", "welcome", "您好", "refund", "退款"} <= set(WatchedPhrase.objects.values_list("phrase", flat=True))
    interaction = chat(
        [("customer", "My parcel is broken, this is awful."), ("agent", "您好! Hello, so sorry about that."),
         ("customer", "I would like a refund please."), ("agent", "Done."),
         ("customer", "Thank you so much, that is great!")],
        assigned_agent=ann, status="resolved",
    )  # fmt: skip
    evaluation = _start(client, interaction, form)
    # greeted (agent's message 2, 20 s after assignment): yes; within 1 s: no; ended happy: yes; refund: yes.
    assert evaluation["answers"] == {"greeted": "yes", "fast": "no", "happy": "yes", "refund": "yes"}
    kept = auto_answers_for(evaluation["id"])
    assert kept["greeted"]["evidence"] == {
        "source": "transcript", "seq": 2, "at_seconds": 20.0, "phrase": "hello",
        "excerpt": "您好! Hello, so sorry about that.",
    }  # fmt: skip
    assert kept["happy"]["evidence"]["source"] == "sentiment" and kept["happy"]["evidence"]["score"] > 0
    assert kept["refund"]["evidence"]["seq"] == 3
    # The evidence is where the evaluator reads: one comment per automatic question.
    texts = [c["text"] for c in evaluation["comments"]]
    assert len(texts) == 4 and any("Greeted the customer" in t and "yes" in t for t in texts), texts
    # The evaluator disagrees with one answer, answers the rest and submits: their answer stands.
    saved = client.patch(
        f"/api/v1/qa/evaluations/{evaluation['id']}",
        json.dumps({"answers": {**evaluation["answers"], "fast": "yes", "manual": "yes"}}),
        "application/json",
    )
    assert saved.status_code == 200 and saved.json()["answers"]["fast"] == "yes"
    submitted = client.post(f"/api/v1/qa/evaluations/{evaluation['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["score"] == 100.0
    assert AutoAnswer.objects.get(evaluation_id=evaluation["id"], question_id="fast").answer == "no"  # kept as found

    # A customer who wrote nothing happy: the sentiment question is answered no.
    grumpy = chat([("agent", "Hello!"), ("customer", "Terrible, useless service.")], assigned_agent=ann)
    assert _start(client, grumpy, form)["answers"]["happy"] == "no"


def test_a_call_is_answered_from_the_phrases_spotted_in_its_recording(tenant_a: TenantInfo, tmp_path: Path) -> None:
    client, _sue, ann, form = _setup(tenant_a)
    interaction = Interaction.objects.create(channel="voice", status="resolved", assigned_agent=ann)
    call_id = f"c-{uuid.uuid4().hex[:12]}"
    Call.objects.create(call_id=call_id, interaction=interaction, recorded=True)
    # Not recorded yet: nothing can be told, left to the evaluator with the reason.
    early = _start(client, interaction, form)
    assert "greeted" not in early["answers"]
    assert "no recording" in auto_answers_for(early["id"])["greeted"]["evidence"]["reason"]
    # The agent greets ("Hello, welcome to Acme support") 3 s into the recording.
    path = write_recording(tmp_path / "call.webm", {"customer": [(0.5, 2.5)], "agent": [(3.0, 7.0)]}, 8.0)
    with path.open("rb") as handle:
        name = default_storage.save(f"{tenant_a.schema_name}/recordings/{call_id}.webm", File(handle))
    Recording.objects.create(call_id=call_id, file=name, duration=8.0, size=path.stat().st_size)
    do_store_analysis(interaction, analyse(interaction))
    evaluation = _start(client, interaction, form)
    assert evaluation["answers"]["greeted"] == "yes" and evaluation["answers"]["fast"] == "no"
    evidence = auto_answers_for(evaluation["id"])["greeted"]["evidence"]
    assert evidence["source"] == "keyword_spotting" and evidence["engine"] == "pocketsphinx"
    assert evidence["phrase"] in ("hello", "welcome") and 2.5 <= evidence["at_seconds"] <= 7.0
    # Its comment sits at that moment of the recording (the player jumps there).
    assert any(c["at_seconds"] == evidence["at_seconds"] for c in evaluation["comments"])
    # Written sentiment cannot be told from a call without messages: left to the evaluator.
    assert "happy" not in evaluation["answers"]
