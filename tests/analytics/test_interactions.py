# ruff: noqa: RUF001  (Chinese punctuation in Chinese test messages)
"""Analytics of chats and emails (issue 15): an interaction's sentiment (the customer's, the agent's, how
it ended), keywords and the tenant's topics; a re-run replaces the analysis; trends per day and queue;
who may read an interaction's analysis, and another tenant never sees it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.analytics.actions import do_save_topic, do_store_analysis
from apps.analytics.analysis import analyse
from apps.analytics.models import InteractionAnalysis, KeywordHit, TopicHit
from apps.inbox.models import Interaction, Segment
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo

from .conftest import chat

UNHAPPY_THEN_HAPPY = [
    ("customer", "My blender arrived broken. This is terrible, I am really angry."),
    ("agent", "I am sorry to hear that. Let me help you with a refund."),
    ("customer", "The blender is useless, I want a refund now."),
    ("agent", "Done: the refund is on its way. Anything else?"),
    ("customer", "Great, thank you so much, that is wonderful!"),
    ("customer", "Perfect, I am happy now :)"),
]


def _user(tenant: TenantInfo, name: str, role: str = "agent") -> User:
    return User.objects.create_user(email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role)


def _client(tenant: TenantInfo, user: User) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_an_interactions_sentiment_keywords_and_topics(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = _user(tenant_a, "sue", "supervisor")
    do_save_topic(sue, name="Refunds", phrases=["refund", "money back", "退款"])
    do_save_topic(sue, name="Delivery", phrases=["tracking number", "物流"])
    interaction = chat(UNHAPPY_THEN_HAPPY, queue=Queue.objects.get(name="Support"), status="resolved")
    result = analyse(interaction)
    # The customer started angry and ended happy: overall near neutral or below, the end clearly positive.
    assert result["end_label"] == "positive" and result["end_score"] > 0.5
    assert result["customer_score"] < result["end_score"]
    first = result["messages"][0]
    assert (first["party"], first["label"], first["lang"]) == ("customer", "negative", "en")
    assert result["agent_label"] in ("positive", "neutral")
    keywords = dict(result["keywords"])
    assert keywords["blender"] == 2 and keywords["refund"] == 1 and "the" not in keywords
    # Refunds matched (first written by the agent, in the second message); Delivery did not.
    assert [(t["name"], t["phrase"], t["party"], t["seq"]) for t in result["topics"]] == [
        ("Refunds", "refund", "agent", 2)
    ]
    assert result["call"] is None and result["cost"]["cpu_seconds"] >= 0

    chinese = chat([("customer", "太差了，我很生气，要退款"), ("agent", "好的"), ("customer", "服务态度很好，谢谢")])
    found = analyse(chinese)
    assert found["languages"] == ["zh"]
    assert [m["label"] for m in found["messages"] if m["party"] == "customer"] == ["negative", "positive"]
    assert [t["name"] for t in found["topics"]] == ["Refunds"]
    assert AuditEntry.objects.filter(verb="analytics.topic_created").count() == 2


def test_a_rerun_replaces_the_analysis_and_its_hits(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = _user(tenant_a, "sue", "supervisor")
    do_save_topic(sue, name="Refunds", phrases=["refund"])
    interaction = chat(UNHAPPY_THEN_HAPPY, status="resolved")
    first = do_store_analysis(interaction, analyse(interaction))
    second = do_store_analysis(interaction, analyse(interaction))
    assert InteractionAnalysis.objects.filter(interaction=interaction).count() == 1
    assert (first.pk, second.generation) == (second.pk, 2)
    assert TopicHit.objects.filter(analysis=second).count() == 1
    assert KeywordHit.objects.filter(analysis=second, term="blender").get().count == 2
    assert KeywordHit.objects.filter(analysis=second).count() == len(second.keywords)


def test_trends_per_day_and_queue_through_the_api(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = _user(tenant_a, "sue", "supervisor")
    support = Queue.objects.get(name="Support")
    billing = Queue.objects.create(name="Billing")
    do_save_topic(sue, name="Refunds", phrases=["refund", "退款"])
    do_save_topic(sue, name="Cancel", phrases=["cancel"])
    today = timezone.now()
    made = [
        # two days ago: one unhappy refund in Support
        (support, 2, [("customer", "Terrible service, I want a refund.")]),
        # yesterday: a refund and a cancel in Billing, a happy one in Support
        (billing, 1, [("customer", "Please cancel my plan and refund me, awful experience.")]),
        (support, 1, [("customer", "Thanks, wonderful help, all good!")]),
        (billing, 1, [("customer", "我要退款")]),
    ]
    for queue, days, lines in made:
        i = chat(lines, queue=queue, status="resolved", resolved_at=today - timedelta(days=days))
        do_store_analysis(i, analyse(i))
    client = _client(tenant_a, sue)
    start, end = (today - timedelta(days=2)).date(), today.date()
    body = client.get(f"/api/v1/analytics/trends?from={start}&to={end}").json()
    assert body["days"] == [str(start + timedelta(days=n)) for n in range(3)]
    by_day = {row["day"]: row for row in body["sentiment"]}
    assert by_day[str(start)]["interactions"] == 1 and by_day[str(start)]["negative"] == 1
    assert by_day[str(start + timedelta(days=1))]["interactions"] == 3
    assert by_day[str(end)]["interactions"] == 0 and by_day[str(end)]["customer"] is None
    totals = {t["topic"]: t["count"] for t in body["topics"]["totals"]}
    assert totals == {"Refunds": 3, "Cancel": 1}
    per_queue = {(r["queue_name"], r["topic"]): r["count"] for r in body["topics"]["by_queue"]}
    assert per_queue == {("Support", "Refunds"): 1, ("Billing", "Refunds"): 2, ("Billing", "Cancel"): 1}
    refund = next(k for k in body["keywords"] if k["term"] == "refund")
    assert refund["count"] == 2 and refund["by_day"] == [1, 1, 0]
    only_billing = client.get(f"/api/v1/analytics/trends?from={start}&to={end}&queue={billing.pk}").json()
    assert {t["topic"]: t["count"] for t in only_billing["topics"]["totals"]} == {"Refunds": 2, "Cancel": 1}
    bad = client.get("/api/v1/analytics/trends?from=yesterday&to=2026-01-01&queue=x")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"from", "queue"}
    too_long = client.get("/api/v1/analytics/trends?from=2026-01-01&to=2026-12-01")
    assert too_long.status_code == 400 and "to" in too_long.json()["error"]["fields"]


def test_topics_api_checks_and_audits(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = _user(tenant_a, "sue", "supervisor")
    ann = _user(tenant_a, "ann")
    client = _client(tenant_a, sue)

    def post(body: Any) -> Any:
        return client.post("/api/v1/analytics/topics", json.dumps(body), content_type="application/json")

    bad = post({"name": "", "phrases": []})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"name", "phrases"}
    made = post({"name": "Refunds", "phrases": ["refund", " money  back ", "Refund"]})
    assert made.status_code == 201 and made.json()["phrases"] == ["refund", "money back"]
    assert post({"name": "refunds", "phrases": ["x"]}).status_code == 400  # the same name, any case
    pk = made.json()["id"]
    changed = client.put(
        f"/api/v1/analytics/topics/{pk}", json.dumps({"name": "Refunds", "phrases": ["退款"]}), "application/json"
    )
    assert changed.status_code == 200 and changed.json()["phrases"] == ["退款"]
    assert _client(tenant_a, ann).get("/api/v1/analytics/topics").status_code == 403
    assert client.delete(f"/api/v1/analytics/topics/{pk}").status_code == 204
    assert client.delete(f"/api/v1/analytics/topics/{pk}").status_code == 404
    verbs = list(AuditEntry.objects.filter(verb__startswith="analytics.").values_list("verb", flat=True))
    assert sorted(verbs) == ["analytics.topic_changed", "analytics.topic_created", "analytics.topic_deleted"]


def test_who_may_read_an_interactions_analysis(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = _user(tenant_a, "sue", "supervisor")
    ann, bob = _user(tenant_a, "ann"), _user(tenant_a, "bob")
    ann_profile = ensure_agent_profile(ann)
    interaction = chat(UNHAPPY_THEN_HAPPY, status="resolved")
    Segment.objects.create(
        interaction=interaction, kind="handling", channel="chat", agent=ann_profile,
        started_at=interaction.created_at, ended_at=timezone.now(), outcome="completed",
    )  # fmt: skip
    pending = chat([("customer", "hello")])
    analysis = do_store_analysis(interaction, analyse(interaction))
    # Pretend the call part exists, to see that only supervisors get what a recording gave.
    InteractionAnalysis.objects.filter(pk=analysis.pk).update(
        call={"duration": 10.0, "parties": [], "overtalk": [], "silence_seconds": 0, "talk_listen_ratio": None},
        topics=[
            *analysis.topics,
            {"name": "Spoken", "phrase": "cancel", "party": "customer", "at_seconds": 3, "seq": None},
        ],
    )
    url = f"/api/v1/analytics/interactions/{interaction.pk}"
    as_sue = _client(tenant_a, sue).get(url).json()
    assert as_sue["analysed"] is True and as_sue["analysis"]["sentiment"]["end"]["label"] == "positive"
    assert as_sue["analysis"]["call"]["duration"] == 10.0
    assert {t["name"] for t in as_sue["analysis"]["topics"]} == {"Spoken"}  # no topic defined: only the fake one
    as_ann = _client(tenant_a, ann).get(url)  # she handled it
    assert as_ann.status_code == 200 and as_ann.json()["analysis"]["call"] is None
    assert as_ann.json()["analysis"]["topics"] == [] and as_ann.json()["analysis"]["cost"] is None
    assert _client(tenant_a, bob).get(url).status_code == 404  # not his
    not_yet = _client(tenant_a, sue).get(f"/api/v1/analytics/interactions/{pending.pk}").json()
    assert (not_yet["analysed"], not_yet["analysis"]) == (False, None)
    assert Client(HTTP_HOST=tenant_a.host).get(url).status_code in (401, 403)
    # Another tenant's supervisor: the same id is nobody's there.
    connection.set_schema(tenant_b.schema_name)
    other = _user(tenant_b, "eve", "supervisor")
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    assert _client(tenant_b, other).get(url).status_code == 404
    assert _client(tenant_b, other).get("/api/v1/analytics/trends").json()["topics"]["totals"] == []
