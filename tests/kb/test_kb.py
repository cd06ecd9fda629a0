"""The knowledge base (issue 18): search in Chinese and English (a two-character word finds the longer
phrase, English words stemmed, typos in titles), published articles only, by language, through its
GIN index; the API's checks and permissions; votes, deflections, flags, a draft from a resolved
conversation, the report; tenants apart."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.inbox.models import Interaction, Message
from apps.kb.actions import do_save_article
from apps.kb.models import Article, SearchLog
from apps.kb.selectors import search
from tests.conftest import PASSWORD, TenantInfo
from tests.inbox.conftest import make_center

CORPUS = [
    ("如何申请退款", "<p>在订单页面点击申请退款 三个工作日内原路退回。</p>", "zh-hans", "published"),
    ("如何修改收货地址", "<p>发货前可以在订单详情中修改地址。</p>", "zh-hans", "published"),
    ("会员积分规则", "<p>每消费一元积一分 积分可抵扣运费。</p>", "zh-hans", "published"),
    ("Refund policy", "<p>Refunds are paid back to the card within three working days.</p>", "en", "published"),
    ("Shipping times", "<p>Orders ship within 24 hours; delivery takes 2 to 5 days.</p>", "en", "published"),
    ("Changing your delivery address", "<p>You can change the address before the parcel ships.</p>", "en", "published"),
    ("Internal refund checklist", "<p>Only for staff: how we check a refund.</p>", "en", "draft"),
    ("Old refund rules", "<p>Refunds took ten days.</p>", "en", "archived"),
]


def seed(owner: User) -> dict[str, Article]:
    return {
        title: do_save_article(owner, {"title": title, "body": body, "locale": locale, "status": status})
        for title, body, locale, status in CORPUS
    }


def titles(found: list[dict[str, Any]]) -> list[str]:
    return [r["title"] for r in found]


def test_search_in_both_languages(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    seed(tenant_a.owner)
    # A two-character word finds the phrase it is part of; the best match first.
    assert titles(search("退款", locale="zh-hans"))[0] == "如何申请退款"
    assert titles(search("我想退款怎么办", locale="zh-hans"))[0] == "如何申请退款"
    assert titles(search("修改地址", locale="zh-hans"))[0] == "如何修改收货地址"
    assert titles(search("积分", locale="zh-hans")) == ["会员积分规则"]
    # English words are stemmed ("refunds" finds "Refund"), drafts and archived articles never show.
    assert titles(search("refunds", locale="en")) == ["Refund policy"]
    assert titles(search("how long does shipping take", locale="en"))[0] == "Shipping times"
    # A typo in a title word still finds it, after the exact matches.
    assert titles(search("refnd", locale="en")) == ["Refund policy"]
    assert titles(search("adress", locale="en")) == ["Changing your delivery address"]
    # By language; snippets show the words found.
    assert search("refund", locale="zh-hans") == []
    hit = search("three working days", locale="en")[0]
    assert hit["title"] == "Refund policy"
    assert "three working days" in hit["snippet"]
    assert search("", locale="en") == [] and search("!!!", locale="en") == []
    # The word index is what the search reads (forced off the table scan, as on a big table).
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM kb_article WHERE search @@ plainto_tsquery('simple', %s)",
            ["退款"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "kb_article_search" in plan, plan
    # Another tenant sees none of it.
    connection.set_schema(tenant_b.schema_name)
    assert search("退款") == [] and search("refund") == []
    connection.set_schema_to_public()


def login(host: str, email: str) -> Client:
    client = Client(HTTP_HOST=host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_api_votes_flags_drafts_and_report() -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    owner = login(cc.info.host, cc.info.email)
    agent = login(cc.info.host, f"agent1@{cc.info.subdomain}.test")
    public = Client(HTTP_HOST=cc.info.host)

    for body, field in (
        ({"title": "", "body": "<p>x</p>"}, "title"),
        ({"title": "T", "body": "<script>alert(1)</script>"}, "body"),
        ({"title": "T", "body": "<p>x</p>", "locale": "fr"}, "locale"),
        ({"title": "T", "body": "<p>x</p>", "status": "live"}, "status"),
        ({"title": "T", "body": "<p>x</p>", "category": 999}, "category"),
    ):
        answer = post(owner, "/api/v1/kb/articles", body)
        assert answer.status_code == 400 and field in answer.json()["error"]["fields"], (body, answer.content)
    assert post(agent, "/api/v1/kb/articles", {"title": "T", "body": "<p>x</p>"}).status_code == 403
    made = post(
        owner,
        "/api/v1/kb/articles",
        {
            "title": "Refund policy",
            "status": "published",
            "body": '<p onclick="steal()">Refunds in <b>three</b> days.</p><script>x()</script>',
        },
    )
    assert made.status_code == 201
    article = made.json()
    assert article["body"] == "<p>Refunds in <b>three</b> days.</p>"
    zh = post(
        owner,
        "/api/v1/kb/articles",
        {
            "title": "退款政策",
            "body": "<p>三天内退款。</p>",
            "locale": "zh-hans",
            "status": "published",
            "translation_of": article["id"],
        },
    )
    assert zh.status_code == 201 and zh.json()["translations"] == {"en": article["id"]}
    again = post(
        owner,
        "/api/v1/kb/articles",
        {"title": "退款", "body": "<p>x</p>", "locale": "zh-hans", "translation_of": article["id"]},
    )
    assert again.status_code == 400 and "translation_of" in again.json()["error"]["fields"]

    # The public search (widget, help center): published only, logged; a vote marks the search answered.
    found = public.get("/api/v1/kb/search", {"q": "refund", "locale": "en", "source": "widget"}).json()
    assert [r["title"] for r in found["results"]] == ["Refund policy"] and found["results"][0]["url"].startswith(
        "/help/"
    )
    assert public.get("/api/v1/kb/search", {"q": "warranty", "locale": "en"}).json()["results"] == []
    vote = post(public, f"/api/v1/kb/articles/{article['id']}/feedback", {"helpful": True, "search": found["search"]})
    assert vote.json() == {"helpful_yes": 1, "helpful_no": 0}
    assert post(public, f"/api/v1/kb/articles/{article['id']}/feedback", {"helpful": "yes"}).status_code == 400
    flagged = post(agent, f"/api/v1/kb/articles/{article['id']}/outdated", {"note": "Now five days."})
    assert flagged.json()["outdated_note"] == "Now five days."
    assert post(agent, f"/api/v1/kb/articles/{article['id']}/outdated", {"note": ""}).status_code == 400

    # A resolved conversation becomes a draft for an editor.
    connection.set_schema(cc.info.schema_name)
    chat = Interaction.objects.create(channel="chat", queue=cc.queue, subject="Late refund", status="resolved")
    Message.objects.create(interaction=chat, seq=1, kind="customer", body="Where is my refund?")
    Message.objects.create(interaction=chat, seq=2, kind="agent", body="It <arrives> in three days.")
    open_chat = Interaction.objects.create(channel="chat", queue=cc.queue, subject="Open")
    connection.set_schema_to_public()
    draft = post(owner, "/api/v1/kb/drafts", {"interaction": chat.pk})
    assert draft.status_code == 201
    assert draft.json()["status"] == "draft" and draft.json()["title"] == "Late refund"
    assert "Where is my refund?" in draft.json()["body"] and "&lt;arrives&gt;" in draft.json()["body"]
    assert post(owner, "/api/v1/kb/drafts", {"interaction": open_chat.pk}).status_code == 400
    assert post(agent, "/api/v1/kb/drafts", {"interaction": chat.pk}).status_code == 403

    report = owner.get("/api/v1/kb/report").json()
    assert (report["searches"], report["no_result"], report["deflections"]) == (2, 1, 1)
    assert report["no_result_queries"] == [{"query": "warranty", "locale": "en", "count": 1}]
    assert report["flagged"][0]["outdated_note"] == "Now five days."
    assert agent.get("/api/v1/kb/report").status_code == 403
    connection.set_schema(cc.info.schema_name)
    assert SearchLog.objects.filter(source="widget").count() == 1
    connection.set_schema_to_public()
