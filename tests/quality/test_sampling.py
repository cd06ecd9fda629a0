"""Sampling (issue 15): rules put resolved interactions in the evaluators' work list, run by a real Celery
worker: a random share decided once per interaction by a hash, every low rating, every handle time over
a multiple of the queue's average; each interaction listed once whatever the rules and however often they
run; an evaluator starts the evaluation from the list with the rule's form."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction, Segment
from apps.quality.actions import do_create_form
from apps.quality.models import WorkItem
from apps.quality.sampling import picked
from apps.quality.tasks import sample
from apps.routing.models import Queue
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo
from tests.quality.test_evaluations import FORM


def test_rules_fill_the_work_list_once(tenant_a: TenantInfo, celery_worker: CeleryWorker) -> None:
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    agents = [
        ensure_agent_profile(User.objects.create_user(email=f"{n}@{tenant_a.subdomain}.test", password=PASSWORD))
        for n in ("ann", "bob")
    ]
    form = do_create_form(sue, "Calls", FORM)
    now = timezone.now() - timedelta(minutes=10)
    made: list[Interaction] = []
    for n in range(40):
        talk = 900 if n == 7 else 100 + n  # one handled far longer than the queue's usual
        i = Interaction.objects.create(
            channel="voice" if n % 2 else "chat",
            queue=queue,
            assigned_agent=agents[n % 2],
            status="resolved",
            resolved_at=now + timedelta(seconds=n),
            csat_score=1 if n in (4, 7) else 5 if n % 5 == 0 else None,
            csat_at=now + timedelta(seconds=n + 1) if (n in (4, 7) or n % 5 == 0) else None,
        )
        Segment.objects.create(
            interaction=i, kind="handling", started_at=now, ended_at=now + timedelta(seconds=talk), outcome="completed",
            channel=i.channel, queue=queue, agent=agents[n % 2], data={"talk_seconds": talk, "hold_seconds": 0},
        )  # fmt: skip
        made.append(i)
    connection.set_schema_to_public()

    client = Client(HTTP_HOST=tenant_a.host)
    assert client.post("/login/", {"username": sue.email, "password": PASSWORD}).status_code == 302

    def post(path: str, body: Any) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    bad = post("/api/v1/qa/sampling-rules", {"name": "x", "kind": "random", "form": form.pk, "percent": 0})
    assert bad.status_code == 400 and "percent" in bad.json()["error"]["fields"]
    rules = {
        "random": post(
            "/api/v1/qa/sampling-rules",
            {"name": "Half the voice calls", "kind": "random", "form": form.pk, "percent": 50, "channels": ["voice"]},
        ).json(),
        "low": post(
            "/api/v1/qa/sampling-rules", {"name": "Unhappy", "kind": "low_csat", "form": form.pk, "csat_at_most": 2}
        ).json(),
        "long": post(
            "/api/v1/qa/sampling-rules", {"name": "Long", "kind": "long_handle", "form": form.pk, "aht_factor": 2}
        ).json(),
    }
    assert sample.delay().get(timeout=60) == {tenant_a.schema_name: len(expected := _expected(made, rules))}
    connection.set_schema(tenant_a.schema_name)
    listed = dict(WorkItem.objects.values_list("interaction_id", "reason"))
    assert set(listed) == set(expected)
    assert listed[made[4].pk] == "Rated 1"  # a chat: only the ratings rule could take it
    connection.set_schema_to_public()
    # Again: nothing new, nothing twice.
    assert sample.delay().get(timeout=60) == {}
    connection.set_schema(tenant_a.schema_name)
    assert WorkItem.objects.count() == len(expected)
    item = WorkItem.objects.get(interaction=made[4])
    connection.set_schema_to_public()

    work = client.get("/api/v1/qa/work-items?status=open").json()["results"]
    assert {w["interaction"] for w in work} == set(expected)
    started = post(f"/api/v1/qa/work-items/{item.pk}/start", {})
    assert started.status_code == 201
    assert (started.json()["form"]["name"], started.json()["agent"]["id"]) == ("Calls", agents[0].pk)
    assert post(f"/api/v1/qa/work-items/{item.pk}/start", {}).status_code == 409
    off = client.patch(f"/api/v1/qa/sampling-rules/{rules['low']['id']}", json.dumps({"enabled": False}),
                       content_type="application/json")  # fmt: skip
    assert off.json()["enabled"] is False


def _expected(made: list[Interaction], rules: dict[str, dict[str, Any]]) -> set[int]:
    """What each rule picks, computed here: the hash for the voice calls, the ratings, the long one."""
    out = {i.pk for i in made if i.channel == "voice" and picked(rules["random"]["id"], i.pk, 50)}
    out |= {i.pk for i in made if i.csat_score is not None and i.csat_score <= 2}
    out.add(made[7].pk)  # 900 s against an average of ~140 s
    assert 5 <= len(out) <= 25  # the hash took some of the 20 voice calls, not all, not none
    return out
