# ruff: noqa: RUF001  (Chinese punctuation in a Chinese message)
"""The journey timeline carries each analysed interaction's customer sentiment (overall and how it ended)
and the topics written in it; an interaction not analysed yet has none."""

from __future__ import annotations

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.analytics.actions import do_save_topic, do_store_analysis
from apps.analytics.analysis import analyse
from apps.inbox.models import Contact
from tests.conftest import PASSWORD, TenantInfo

from .conftest import chat


def test_journey_entries_show_sentiment_and_topics(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    do_save_topic(sue, name="Refunds", phrases=["refund", "退款"])
    contact = Contact.objects.create(name="Wu")
    analysed = chat(
        [("customer", "太差了，我要退款"), ("customer", "服务态度很好，谢谢"), ("customer", "谢谢，很满意")],
        contact=contact,
        status="resolved",
        minutes_ago=60,
    )
    do_store_analysis(analysed, analyse(analysed))
    fresh = chat([("customer", "Hello?")], contact=contact, minutes_ago=5)
    client = Client(HTTP_HOST=tenant_a.host)
    client.force_login(sue)
    entries = {e["id"]: e for e in client.get(f"/api/v1/contacts/{contact.pk}/journey").json()["entries"]}
    assert entries[analysed.pk]["topics"] == ["Refunds"]
    sentiment = entries[analysed.pk]["sentiment"]
    assert sentiment["end_label"] == "positive" and sentiment["end_score"] > sentiment["score"]
    assert (entries[fresh.pk]["sentiment"], entries[fresh.pk]["topics"]) == (None, [])
