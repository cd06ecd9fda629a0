"""Configuration writes go through actions that write an audit row with the acting user: a queue's
steps and members from the API, an agent's skills from the API and from the administration's inline
rows, and the agent profile of a user the team adds."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry, User
from apps.agents.models import AgentProfile, AgentSkill, Skill
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo
from tests.routing.conftest import World
from tests.routing.test_apis import api


def send(client: Client, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def entries(verb: str, obj: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(verb=verb, object_id=str(obj.pk)).order_by("at", "pk"))


def test_queue_steps_and_members_saved_by_the_api_are_audited(tenant: TenantInfo, world: World) -> None:
    world.skill("billing")
    agent = world.agent(skills={"billing": 3})
    owner = api(tenant)
    created = send(
        owner,
        "post",
        "/api/v1/queues",
        {"name": "Billing", "steps": [{"expression": "skills.billing >= 4", "duration_seconds": 30}]},
    )
    assert created.status_code == 201, created.content
    queue = Queue.objects.get(pk=created.json()["id"])
    (entry,) = entries("queue.created", queue)
    assert entry.actor_id == tenant.owner.pk and entry.object_type == "routing.queue"
    assert entry.data["steps"] == [{"expression": "skills.billing >= 4", "duration_seconds": 30}]

    changed = send(
        owner,
        "patch",
        f"/api/v1/queues/{queue.pk}",
        {"steps": [{"expression": "skills.billing >= 2", "duration_seconds": None}], "members": [agent.pk]},
    )
    assert changed.status_code == 200, changed.content
    assert [s.expression for s in queue.steps.all()] == ["skills.billing >= 2"]
    assert list(queue.members.values_list("pk", flat=True)) == [agent.pk]
    (update,) = entries("queue.updated", queue)
    assert update.actor_id == tenant.owner.pk
    assert update.data["steps"] == [{"expression": "skills.billing >= 2", "duration_seconds": None}]
    assert update.data["members"] == [agent.pk]


def test_agent_skills_from_the_api_and_from_the_administration_are_audited(tenant: TenantInfo, world: World) -> None:
    world.skill("billing", "tax")
    agent = world.agent()
    owner = api(tenant)
    response = send(owner, "patch", f"/api/v1/agents/{agent.pk}", {"skills": {"billing": 4}})
    assert response.status_code == 200, response.content
    (from_api,) = entries("agent.skills_set", agent)
    assert (from_api.actor_id, from_api.data) == (tenant.owner.pk, {"skills": {"billing": 4}})
    # Queue membership (routing's Queue.members) through the agents API, which names no routing class.
    support = world.queue("Support")
    response = send(owner, "patch", f"/api/v1/agents/{agent.pk}", {"queues": [support.pk]})
    assert response.status_code == 200 and response.json()["queues"] == [support.pk], response.content
    assert list(support.members.values_list("pk", flat=True)) == [agent.pk]
    assert send(owner, "patch", f"/api/v1/agents/{agent.pk}", {"queues": [999999]}).status_code == 400

    # The administration saves the skill rows itself (an inline); the action then syncs the map the
    # router reads and writes the audit row.
    admin = Client(HTTP_HOST=tenant.host)
    connection.set_schema_to_public()
    assert admin.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
    connection.set_schema(tenant.schema_name)
    billing = AgentSkill.objects.get(agent=agent)
    tax = Skill.objects.get(name="tax")
    form = {
        "user": agent.user_id,
        "languages": "",
        "location": "",
        "attributes": "{}",
        "capacity_voice": 1,
        "capacity_video": 1,
        "capacity_chat": 3,
        "capacity_email": 5,
        "capacity_messaging": 3,
        "skills-TOTAL_FORMS": 2,
        "skills-INITIAL_FORMS": 1,
        "skills-MIN_NUM_FORMS": 0,
        "skills-MAX_NUM_FORMS": 1000,
        "skills-0-id": billing.pk,
        "skills-0-agent": agent.pk,
        "skills-0-skill": billing.skill_id,
        "skills-0-proficiency": 2,
        "skills-1-agent": agent.pk,
        "skills-1-skill": tax.pk,
        "skills-1-proficiency": 5,
        "_save": "Save",
    }
    connection.set_schema_to_public()
    saved = admin.post(f"/admin/agents/agentprofile/{agent.pk}/change/", form)
    connection.set_schema(tenant.schema_name)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.skill_levels == {"billing": 2, "tax": 5}
    from_admin = entries("agent.skills_set", agent)[-1]
    assert (from_admin.actor_id, from_admin.data) == (tenant.owner.pk, {"skills": {"billing": 2, "tax": 5}})


def test_a_user_the_team_adds_gets_an_agent_profile_with_an_audit_row(tenant: TenantInfo) -> None:
    owner = api(tenant)
    response = send(
        owner,
        "post",
        "/api/v1/team/members/create",
        {"email": f"new@{tenant.subdomain}.test", "full_name": "New Agent", "password": PASSWORD, "role": "agent"},
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email=f"new@{tenant.subdomain}.test")
    profile = AgentProfile.objects.get(user=user)  # made by the action, not by the first page the agent opens
    (entry,) = entries("agent_profile.created", profile)
    assert entry.actor_id == tenant.owner.pk and entry.data == {"user_id": user.pk}
