"""The contacts API (issue 13): create from the business's records, search, read and edit, attach
work to a known customer; agents read only the customers they work with; nothing crosses tenants."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry
from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.models import Contact, ContactIdentity, Interaction
from apps.routing.actions import do_accept_offer
from apps.routing.models import Offer
from tests.conftest import PASSWORD, TenantInfo
from tests.inbox.conftest import make_center


def login(host: str, email: str) -> Client:
    client = Client(HTTP_HOST=host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def patch(client: Client, path: str, body: Any) -> Any:
    return client.patch(path, json.dumps(body), content_type="application/json")


def test_create_search_read_edit_and_attach_work() -> None:
    cc = make_center("http://127.0.0.1:9")
    owner = login(cc.info.host, cc.info.email)

    made = post(
        owner,
        "/api/v1/contacts",
        {
            "name": "Wu Lei",
            "email": "Wu.Lei@Example.com",
            "phone": "+86 138 0013 8000",
            "external_id": "CRM-1001",
            "attributes": {"vip": True, "plan": "gold", "ltv": 1290.5},
        },
    )
    assert made.status_code == 201, made.content
    wu = made.json()
    assert wu["email"] == "wu.lei@example.com" and wu["phone"] == "+8613800138000"
    assert wu["external_id"] == "CRM-1001" and wu["attributes"]["vip"] is True
    assert {(i["kind"], i["verified"]) for i in wu["identities"]} == {
        ("email", True),
        ("phone", True),
        ("external", True),
    }
    post(owner, "/api/v1/contacts", {"name": "Ana Lima", "email": "ana@example.com"})

    # Search by name, email, phone digits and the customer id; paginated.
    def found(q: str) -> list[str]:
        body = owner.get("/api/v1/contacts", {"q": q}).json()
        return [c["name"] for c in body["results"]]

    assert found("wu l") == ["Wu Lei"]
    assert found("example.com") == ["Ana Lima", "Wu Lei"]  # newest first
    assert found("13800138000") == ["Wu Lei"]
    assert found("crm-1001") == ["Wu Lei"]
    assert found("nobody") == []
    first = owner.get("/api/v1/contacts", {"page_size": 1}).json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["next"]

    # The same email or customer id on another contact is refused, naming the one that has it.
    taken = post(owner, "/api/v1/contacts", {"name": "Copy", "external_id": "CRM-1001"})
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"]["external_id"] == [f"Already used by contact {wu['id']}."]

    # Edit: attributes merge and a null removes one; a new email is one more identity.
    changed = patch(
        owner, f"/api/v1/contacts/{wu['id']}", {"email": "lei@shop.cn", "attributes": {"plan": "platinum", "ltv": None}}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["attributes"] == {"vip": True, "plan": "platinum"}
    assert changed.json()["email"] == "lei@shop.cn"
    assert found("wu.lei@example.com") == ["Wu Lei"]  # the old address still finds them
    connection.set_schema(cc.info.schema_name)
    verbs = list(AuditEntry.objects.filter(object_type="inbox.contact").values_list("verb", flat=True))
    assert verbs.count("contact.created") == 2 and "contact.updated" in verbs
    connection.set_schema_to_public()

    # Integrations open work for a known customer.
    opened = post(owner, "/api/v1/interactions", {"channel": "email", "queue": cc.queue.pk, "contact": wu["id"]})
    assert opened.status_code == 201, opened.content
    assert opened.json()["contact"] == wu["id"]
    missing = post(owner, "/api/v1/interactions", {"channel": "email", "queue": cc.queue.pk, "contact": 999999})
    assert missing.status_code == 400 and "contact" in missing.json()["error"]["fields"]


def test_bad_profiles_get_clear_errors_and_write_nothing() -> None:
    cc = make_center("http://127.0.0.1:9")
    owner = login(cc.info.host, cc.info.email)
    cases: list[tuple[Any, str, str]] = [
        ({"email": "not an email"}, "email", "Enter a valid email address."),
        ({"phone": "0301234"}, "phone", "Not an E.164 number."),
        ({"phone": "+1 555 123 4567"}, "phone", "Not an E.164 number."),  # no such number (libphonenumber)
        ({"name": "x" * 151}, "name", "At most 150 characters."),
        ({"attributes": {"bad key": 1}}, "attributes", "Invalid name: bad key"),
        ({"attributes": {"nested": {"a": 1}}}, "attributes", "Nested objects are not allowed: nested"),
        ({"attributes": [1, 2]}, "attributes", "Must be an object."),
        ({"nickname": "Jo"}, "nickname", "Unknown field."),
        ({"name": 5}, "name", "Must be text."),
    ]
    for body, field, message in cases:
        answer = post(owner, "/api/v1/contacts", body)
        assert answer.status_code == 400, (body, answer.content)
        assert answer.json()["error"]["fields"][field] == [message], body
    assert post(owner, "/api/v1/contacts", ["a list"]).status_code == 400
    connection.set_schema(cc.info.schema_name)
    assert Contact.objects.count() == 0 and ContactIdentity.objects.count() == 0
    connection.set_schema_to_public()


def test_agents_read_only_the_customers_they_work_with(tenant_b: TenantInfo) -> None:
    cc = make_center("http://127.0.0.1:9")
    owner = login(cc.info.host, cc.info.email)
    mine = post(owner, "/api/v1/contacts", {"name": "Mine"}).json()
    other = post(owner, "/api/v1/contacts", {"name": "Someone else's"}).json()

    connection.set_schema(cc.info.schema_name)
    alex = cc.agents[0]
    do_set_agent_state(alex, AgentState.AVAILABLE)
    from apps.inbox.actions import do_open_interaction

    chat = do_open_interaction(channel="chat", queue=cc.queue, contact=Contact.objects.get(pk=mine["id"]))
    do_accept_offer(Offer.objects.get(interaction=chat).pk, alex.user)
    assert Interaction.objects.get(pk=chat.pk).assignee_id == alex.user_id
    connection.set_schema_to_public()

    agent = login(cc.info.host, f"agent1@{cc.info.subdomain}.test")
    assert [c["name"] for c in agent.get("/api/v1/contacts").json()["results"]] == ["Mine"]
    assert agent.get(f"/api/v1/contacts/{mine['id']}").status_code == 200
    assert agent.get(f"/api/v1/contacts/{other['id']}").status_code == 404
    assert patch(agent, f"/api/v1/contacts/{mine['id']}", {"name": "Mine Too"}).json()["name"] == "Mine Too"
    assert patch(agent, f"/api/v1/contacts/{other['id']}", {"name": "x"}).status_code == 404
    assert post(agent, "/api/v1/contacts", {"name": "New"}).status_code == 403
    # Bea never worked with anyone.
    bea = login(cc.info.host, f"agent2@{cc.info.subdomain}.test")
    assert bea.get("/api/v1/contacts").json()["results"] == []

    # Another tenant's owner sees none of it, even by id.
    b = login(tenant_b.host, tenant_b.email)
    assert b.get(f"/api/v1/contacts/{mine['id']}").status_code == 404
    assert b.get("/api/v1/contacts", {"q": "Mine"}).json()["results"] == []
