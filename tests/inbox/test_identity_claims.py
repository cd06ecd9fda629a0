"""An email typed into the widget is a claim, not a proof (issue 11, section 4): it never finds another
customer's contact, never shows their name, and the visitor's conversation stays on the visitor's own
contact. Real daphne, real sockets."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.inbox.actions import do_merge_contacts
from apps.inbox.models import Contact, ContactIdentity, Interaction
from apps.widget.identity import sign_identity
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter, make_center
from tests.inbox.test_widget_ws import SHOP, widget
from tests.ws import recv_json, run_async


@pytest.fixture
def cc() -> ContactCenter:
    return make_center(SHOP)


def signed(cc: ContactCenter) -> str:
    claims = {"sub": "cust-42", "name": "Wu Lei", "email": "wu@example.com", "exp": int(time.time()) + 300}
    return sign_identity(cc.key.secret, claims)


async def chat(ws: Any, body: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "message.send", "body": body}))
    return await recv_json(ws)


def test_a_typed_email_never_claims_a_verified_customer(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        # The real customer, signed in on the business's site, has a conversation.
        ws, welcome = await widget(web_server, cc, identity_token=signed(cc))
        assert welcome["contact"]["name"] == "Wu Lei"
        await chat(ws, "My order is late")
        await ws.close()
        # An anonymous visitor types the customer's email into the pre-chat form.
        ws, anonymous = await widget(web_server, cc)
        await ws.send(json.dumps({"type": "prechat.submit", "name": "Mallory", "email": "WU@example.com"}))
        told = await recv_json(ws)
        await chat(ws, "What did I order?")
        await ws.close()
        # Coming back with its own visitor token, it still sees only itself.
        ws, back = await widget(web_server, cc, visitor_token=anonymous["visitor_token"])
        await ws.close()
        return anonymous, told, back

    anonymous, told, back = run_async(scenario())
    assert anonymous["contact"] == {"name": "", "email": ""}
    assert told == {"type": "prechat.ok", "contact": {"name": "Mallory", "email": "wu@example.com"}}
    assert back["contact"] == {"name": "Mallory", "email": "wu@example.com"}
    assert [m["body"] for m in back["messages"]] == ["What did I order?"]

    connection.set_schema(cc.info.schema_name)
    wu = Contact.objects.get(identities__kind="external", identities__value="cust-42")
    assert [i.subject for i in wu.interactions.all()] == ["My order is late"]
    assert wu.name == "Wu Lei"
    mallory = Interaction.objects.get(subject="What did I order?").contact
    assert mallory is not None and mallory.pk != wu.pk and mallory.name == "Mallory"
    # The claim is remembered on the visitor's own contact, marked as unproven.
    claim = ContactIdentity.objects.get(contact=mallory, kind="email")
    assert (claim.value, claim.verified) == ("wu@example.com", False)
    assert ContactIdentity.objects.get(contact=wu, kind="email").verified
    # The agent sees that the typed email is not proof.
    interaction = Interaction.objects.get(subject="What did I order?")
    connection.set_schema_to_public()
    owner = Client(HTTP_HOST=cc.info.host)
    assert owner.post("/login/", {"username": cc.info.email, "password": PASSWORD}).status_code == 302
    detail = owner.get(f"/api/v1/interactions/{interaction.pk}/detail").json()
    emails = [i for i in detail["contact"]["identities"] if i["kind"] == "email"]
    assert emails == [{"kind": "email", "value": "wu@example.com", "verified": False}]


def test_a_typed_email_never_claims_another_visitors_contact(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> list[dict[str, Any]]:
        told = []
        for name in ("Alice", "Mallory"):
            ws, _welcome = await widget(web_server, cc)
            await ws.send(json.dumps({"type": "prechat.submit", "name": name, "email": "alice@example.com"}))
            told.append(await recv_json(ws))
            await chat(ws, f"Hello from {name}")
            await ws.close()
        return told

    alice, mallory = run_async(scenario())
    assert alice["contact"]["name"] == "Alice"
    assert mallory["contact"]["name"] == "Mallory"  # not told Alice's name
    connection.set_schema(cc.info.schema_name)
    contacts = {i.subject: i.contact_id for i in Interaction.objects.all()}
    assert contacts["Hello from Alice"] != contacts["Hello from Mallory"]


def test_a_signed_identity_later_verifies_the_email_of_its_own_contact_and_merges_keep_one_copy(
    cc: ContactCenter,
) -> None:
    from apps.inbox.actions import do_identify_contact

    connection.set_schema(cc.info.schema_name)
    visitor = do_identify_contact({"visitor": "v1"}, {"name": "Wu"}, claimed={"email": "wu@example.com"})
    # The same browser signs in: its contact now holds the email as proven.
    same = do_identify_contact({"visitor": "v1", "external": "cust-42", "email": "wu@example.com"})
    assert same.pk == visitor.pk
    assert ContactIdentity.objects.get(contact=visitor, kind="email").verified
    # Another visitor claimed the same email; an agent merges it into the customer: one copy stays.
    other = do_identify_contact({"visitor": "v2"}, claimed={"email": "wu@example.com"})
    do_merge_contacts(visitor, other)
    emails = ContactIdentity.objects.filter(contact=visitor, kind="email")
    assert [(i.value, i.verified) for i in emails] == [("wu@example.com", True)]
