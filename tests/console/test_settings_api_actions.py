"""The REST API of the same settings goes through the same actions as the pages: created, changed
and deleted with audit rows naming the caller; something in use answers 409 with a stable code and
a message saying what uses it, never a 500; supervisors may PATCH agents but not the lists."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import do_set_skills, ensure_agent_profile
from apps.inbox.models import Interaction
from apps.routing.models import Queue, RoutingStep
from tests.conftest import PASSWORD, TenantInfo


def api(info: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=info.host)
    token = client.post(
        "/api/v1/auth/token", {"email": email or info.email, "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, json.dumps(body or {}), content_type="application/json")


def verbs(actor: User) -> list[str]:
    return list(AuditEntry.objects.filter(actor=actor).order_by("pk").values_list("verb", flat=True))


def test_lists_through_the_api_are_audited_and_in_use_answers_409(tenant_a: TenantInfo) -> None:
    owner = api(tenant_a)
    connection.set_schema(tenant_a.schema_name)
    support = Queue.objects.get(name="Support")
    before = set(AuditEntry.objects.values_list("pk", flat=True))

    skill = send(owner, "post", "/api/v1/skills", {"name": "billing"}).json()
    assert send(owner, "post", "/api/v1/skills", {"name": "bill ing"}).json()["error"]["fields"]["name"] == [
        "Use only letters, digits, dashes and underscores, without spaces."
    ]
    team = send(owner, "post", "/api/v1/teams", {"name": "Night"}).json()
    reason = send(owner, "post", "/api/v1/reason-codes", {"name": "Lunch"}).json()
    disposition = send(owner, "post", "/api/v1/dispositions", {"name": "Solved"}).json()
    attribute = send(owner, "post", "/api/v1/interaction-attributes", {"name": "tier", "type": "text"}).json()
    hours = send(
        owner,
        "post",
        "/api/v1/business-hours",
        {"name": "Office", "weekly": {"mon": [["09:00", "17:00"]]}, "holidays": [{"date": "2026-12-25"}]},
    ).json()
    assert hours["holidays"] == [{"date": "2026-12-25", "name": ""}]

    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann"))
    do_set_skills(ann, {"billing": 3})
    ann.teams.add(team["id"])
    ann.presence_history.create(state="away", reason_id=reason["id"])
    Interaction.objects.create(channel="chat", disposition_id=disposition["id"])
    RoutingStep.objects.create(queue=support, order=0, expression='interaction.tier == "gold"')
    Queue.objects.filter(pk=support.pk).update(business_hours=hours["id"])
    for path, code in (
        (f"/api/v1/skills/{skill['id']}", "skill_in_use"),
        (f"/api/v1/teams/{team['id']}", "team_in_use"),
        (f"/api/v1/reason-codes/{reason['id']}", "reason_code_in_use"),
        (f"/api/v1/dispositions/{disposition['id']}", "disposition_in_use"),
        (f"/api/v1/interaction-attributes/{attribute['id']}", "interaction_attribute_in_use"),
        (f"/api/v1/business-hours/{hours['id']}", "business_hours_in_use"),
    ):
        refused = owner.delete(path)
        assert refused.status_code == 409, (path, refused.content)
        assert refused.json()["error"]["code"] == code and refused.json()["error"]["message"]
    renamed = send(owner, "patch", f"/api/v1/interaction-attributes/{attribute['id']}", {"name": "level"})
    assert renamed.status_code == 409 and renamed.json()["error"]["code"] == "interaction_attribute_in_use"

    # Once nothing uses them they go, and the audit log says who did what.
    do_set_skills(ann, {})
    assert owner.delete(f"/api/v1/skills/{skill['id']}").status_code == 204
    assert send(owner, "patch", f"/api/v1/teams/{team['id']}", {"name": "Nights"}).json()["name"] == "Nights"
    new = AuditEntry.objects.exclude(pk__in=before).filter(actor=tenant_a.owner)
    assert {
        "skill.created",
        "team.created",
        "reason_code.created",
        "disposition.created",
        "interaction_attribute.created",
        "business_hours.created",
        "skill.deleted",
        "team.updated",
    } <= set(new.values_list("verb", flat=True))


def test_supervisors_patch_agents_but_not_the_lists(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email="sue@x.test", password=PASSWORD, full_name="Sue", role="supervisor")
    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann"))
    support = Queue.objects.get(name="Support")
    supervisor = api(tenant_a, "sue@x.test")
    changed = send(supervisor, "patch", f"/api/v1/agents/{ann.pk}", {"queues": [support.pk], "capacity_chat": 4})
    assert changed.status_code == 200, changed.content
    assert list(support.members.all()) == [ann]
    assert "agent.updated" in verbs(sue)
    assert send(supervisor, "post", "/api/v1/skills", {"name": "x"}).status_code == 403
    assert supervisor.delete(f"/api/v1/agents/{ann.pk}").status_code == 403
