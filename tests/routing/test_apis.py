"""The routing REST API: configuration with clear errors, enqueue → offer → accept → complete, status."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from tests.conftest import PASSWORD, TenantInfo
from tests.routing.conftest import World


def api(info: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=info.host)
    token = client.post(
        "/api/v1/auth/token", {"email": email or info.email, "password": PASSWORD}, content_type="application/json"
    ).json()["token"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_queue_steps_with_bad_expressions_are_refused_with_a_pointer(tenant: TenantInfo, world: World) -> None:
    world.skill("billing")
    owner = api(tenant)
    response = post(
        owner,
        "/api/v1/queues",
        {
            "name": "Billing",
            "steps": [
                {"expression": "skills.billing >= 4", "duration_seconds": 30},
                {"expression": "skills.biling >= 2", "duration_seconds": 60},
                {"expression": "language = 'zh'", "duration_seconds": None},
            ],
        },
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["steps.1.expression"] == ["Unknown skill 'biling'. (at column 1)"] or any(
        "Unknown skill 'biling'" in m for m in fields.get("steps", []) + fields.get("steps.1.expression", [])
    )
    assert "Queue" not in [q["name"] for q in owner.get("/api/v1/queues").json()]


def test_full_routing_round_trip_through_the_api(tenant: TenantInfo, world: World) -> None:
    world.skill("billing")
    agent_user = User.objects.create_user(email=f"a@{tenant.subdomain}.test", password=PASSWORD, role="agent")
    owner = api(tenant)
    agent_profile = post(
        owner,
        "/api/v1/agents",
        {"user": agent_user.pk, "skills": {"billing": 4}, "languages": ["ZH", "en"], "capacity_chat": 2},
    )
    assert agent_profile.status_code == 201, agent_profile.content
    assert agent_profile.json()["languages"] == ["en", "zh"]
    bad_skill = owner.patch(
        f"/api/v1/agents/{agent_profile.json()['id']}",
        json.dumps({"skills": {"cooking": 3}}),
        content_type="application/json",
    )
    assert bad_skill.status_code == 400 and "Unknown skill 'cooking'." in json.dumps(bad_skill.json())
    queue = post(
        owner,
        "/api/v1/queues",
        {
            "name": "Billing",
            "steps": [
                {"expression": 'skills.billing >= 4 and language == "zh"', "duration_seconds": 30},
                {"expression": "skills.billing >= 2", "duration_seconds": None},
            ],
            "members": [agent_profile.json()["id"]],
        },
    )
    assert queue.status_code == 201, queue.content
    queue_id = queue.json()["id"]

    agent = api(tenant, agent_user.email)
    assert (
        agent.put("/api/v1/me/state", json.dumps({"state": "available"}), content_type="application/json").json()[
            "state"
        ]
        == "available"
    )
    assert (
        agent.put("/api/v1/me/state", json.dumps({"state": "dancing"}), content_type="application/json").status_code
        == 400
    )
    # Agents cannot change configuration.
    assert post(agent, "/api/v1/queues", {"name": "Mine"}).status_code == 403

    created = post(
        owner,
        "/api/v1/interactions",
        {"channel": "chat", "queue": queue_id, "attributes": {"tier": "gold", "cart_value": 120}},
    )
    assert created.status_code == 201, created.content
    interaction = created.json()
    assert interaction["routing_status"] == "offered"
    offer = AgentProfile.objects.get(user=agent_user).offers.get()
    # The owner has an agent profile from sign-up, but another agent's offer is not theirs to take.
    not_theirs = post(owner, f"/api/v1/offers/{offer.pk}/accept", {})
    assert not_theirs.status_code == 404
    assert AgentProfile.objects.get(user=agent_user).offers.get().status == "pending"
    accepted = post(agent, f"/api/v1/offers/{offer.pk}/accept", {})
    assert accepted.status_code == 200 and accepted.json()["routing_status"] == "assigned"
    again = post(agent, f"/api/v1/offers/{offer.pk}/accept", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "offer_not_pending"

    # A second and third chat: one offered (capacity 2), one waits with a position and a wait estimate.
    second = post(owner, "/api/v1/interactions", {"channel": "chat", "queue": queue_id}).json()
    third = post(owner, "/api/v1/interactions", {"channel": "chat", "queue": queue_id}).json()
    assert second["routing_status"] == "offered"
    assert third["routing_status"] == "queued" and third["position"] == 1 and third["ewt_seconds"] >= 0
    not_theirs = agent.get(f"/api/v1/interactions/{third['id']}")  # waiting, not the agent's
    assert not_theirs.status_code == 403
    assert not_theirs.json()["error"]["message"] == "This conversation is not assigned to you."
    assert agent.get(f"/api/v1/interactions/{interaction['id']}").status_code == 200

    status = owner.get(f"/api/v1/queues/{queue_id}/status").json()
    assert status["waiting"] == 1 and status["agents"]["available"] + status["agents"]["busy"] == 1
    assert status["service_level"]["answered_24h"] == 1
    assert agent.get(f"/api/v1/queues/{queue_id}/status").status_code == 403

    done = post(agent, f"/api/v1/interactions/{interaction['id']}/complete", {})
    assert done.status_code == 200 and done.json()["routing_status"] == "completed"
    # The freed capacity went to the waiting chat at once.
    assert owner.get(f"/api/v1/interactions/{third['id']}").json()["routing_status"] == "offered"


def test_bad_interaction_input_gets_clear_errors(tenant: TenantInfo, world: World) -> None:
    owner = api(tenant)
    queue = post(owner, "/api/v1/queues", {"name": "Q"}).json()
    cases = [
        ({"channel": "fax", "queue": queue["id"]}, "channel"),
        ({"channel": "chat", "queue": 99999}, "queue"),
        ({"channel": "chat", "queue": queue["id"], "attributes": {"vip": "yes"}}, "attributes"),
        ({"channel": "chat", "queue": queue["id"], "priority": 10**6}, "priority"),
        ({"channel": "chat"}, "queue"),
    ]
    for body, field in cases:
        response = post(owner, "/api/v1/interactions", body)
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], response.json()
    closed_hours = post(
        owner, "/api/v1/business-hours", {"name": "Closed", "timezone": "Europe/Berlin", "weekly": {}}
    ).json()
    bad_hours = post(
        owner,
        "/api/v1/business-hours",
        {"name": "Bad", "timezone": "Mars/Olympus", "weekly": {"mon": [["18:00", "09:00"]]}},
    )
    assert bad_hours.status_code == 400
    assert set(bad_hours.json()["error"]["fields"]) == {"timezone", "weekly"}
    owner.patch(
        f"/api/v1/queues/{queue['id']}",
        json.dumps({"business_hours": closed_hours["id"]}),
        content_type="application/json",
    )
    closed = post(owner, "/api/v1/interactions", {"channel": "chat", "queue": queue["id"]})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "queue_closed"
