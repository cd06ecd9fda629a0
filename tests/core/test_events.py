"""Every realtime event is declared once with its payload (apps/<app>/events.py), and every event the
main flows send matches its declaration (as Zulip's test_events does): presence, a chat offered,
accepted, written in (messages, a note, read), transferred and resolved; a call started, answered,
held, resumed, a guest invited, and ended. Events are captured at the send functions."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentProfile, AgentState
from apps.core import events
from apps.core.events import UndeclaredEvent, capture_events, event_errors, send_event_on_commit, user_group
from apps.desktop.actions import do_accept_offer_and_answer
from apps.inbox.actions import do_agent_reply, do_mark_read, do_open_interaction, do_post_message, do_resolve
from apps.inbox.actions.conversations import do_transfer
from apps.inbox.models import Contact, Disposition, Interaction, Message
from apps.media.actions import Seat, do_hold_call, do_invite_to_call, do_leave_call, do_start_call
from apps.media.actions.calls import CUSTOMER, agent_party
from apps.media.models import CallParty
from apps.routing.models import Offer
from tests.inbox.conftest import ContactCenter, make_center
from tests.processes import wait_until

FLOWS = {
    "agent.state",
    "interaction.queued",
    "offer.created",
    "interaction.offered",
    "offer.ended",
    "interaction.assigned",
    "assignments.changed",
    "message",
    "message.note",
    "read",
    "interaction.resolved",
    "call.updated",
    "call.invited",
}


@pytest.fixture
def cc() -> ContactCenter:
    return make_center("https://shop.example", agents=2)


def pending_offer(interaction_id: int, agent: AgentProfile) -> Offer:
    wait_until(
        lambda: Offer.objects.filter(interaction_id=interaction_id, agent=agent, status="pending").exists(),
        10,
        "an offer",
    )
    return Offer.objects.get(interaction_id=interaction_id, agent=agent, status="pending")


def drive_main_flows(cc: ContactCenter) -> None:
    connection.set_schema(cc.info.schema_name)
    first, second = (AgentProfile.objects.select_related("user").get(pk=a.pk) for a in cc.agents)
    do_set_agent_state(first, AgentState.AVAILABLE)
    # A chat: queued, offered, accepted, messages both ways, a note, read, transferred, resolved.
    chat = do_open_interaction(channel="chat", queue=cc.queue, contact=Contact.objects.create(name="Chat"))
    do_accept_offer_and_answer(pending_offer(chat.pk, first).pk, first.user)
    chat.refresh_from_db()
    customer_message = do_post_message(chat, kind=Message.Kind.CUSTOMER, body="Hello")
    do_agent_reply(chat, first.user, "Hi, how can I help?")
    do_agent_reply(chat, first.user, "VIP customer", note=True)
    do_mark_read(chat, customer_message.seq, by_customer=False)
    do_set_agent_state(second, AgentState.AVAILABLE)
    do_transfer(chat, first.user, to_agent=second, note="Billing question")
    do_accept_offer_and_answer(pending_offer(chat.pk, second).pk, second.user)
    chat.refresh_from_db()
    do_resolve(chat, second.user, disposition_id=Disposition.objects.get(name="Solved").pk, note="Done")
    # A call: started, answered, held and resumed, a guest invited, ended by the customer.
    do_set_agent_state(AgentProfile.objects.get(pk=first.pk), AgentState.AVAILABLE)
    call = do_start_call(
        contact=Contact.objects.create(name="Caller"), queue=cc.queue, mode="audio", context={}, page={}, attributes={}
    )
    accepted = do_accept_offer_and_answer(pending_offer(call.interaction_id, first).pk, first.user)
    assert accepted["call"]["state"] == "active"
    agent_seat = Seat(call.call_id, agent_party(first.user_id), CallParty.Role.AGENT)
    do_hold_call(agent_seat, True)
    do_hold_call(agent_seat, False)
    do_invite_to_call(agent_seat, second.user_id)
    do_leave_call(Seat(call.call_id, CUSTOMER, CallParty.Role.CUSTOMER))
    wait_until(
        lambda: Interaction.objects.get(pk=call.interaction_id).routing_status == "completed", 10, "the call completes"
    )
    do_set_agent_state(AgentProfile.objects.get(pk=first.pk), AgentState.OFFLINE)


def test_every_event_of_the_main_flows_matches_its_declaration(cc: ContactCenter) -> None:
    with capture_events() as sent:
        drive_main_flows(cc)
    wrong = [(event["type"], errors) for _schema, event, _groups in sent if (errors := event_errors(event))]
    assert wrong == []
    seen = {event["type"] for _schema, event, _groups in sent}
    assert FLOWS <= seen, f"not sent: {FLOWS - seen}"
    # Every event went to groups of its own tenant.
    assert all(g.startswith(f"{cc.info.schema_name}.") for schema, _e, groups in sent for g in groups)
    assert {schema for schema, _e, _g in sent} == {cc.info.schema_name}


def test_an_undeclared_event_or_a_payload_that_drifted_fails_the_action(cc: ContactCenter) -> None:
    schema = cc.info.schema_name
    connection.set_schema(schema)
    group = [user_group(schema, cc.info.owner.pk)]
    with pytest.raises(UndeclaredEvent, match="not declared"), transaction.atomic():
        send_event_on_commit(schema, {"type": "agent.mood", "agent_id": 1}, group)
    with pytest.raises(UndeclaredEvent, match=r"offer\.ended\.status: missing"), transaction.atomic():
        send_event_on_commit(schema, {"type": "offer.ended", "offer_id": 1, "interaction_id": 2}, group)
    with pytest.raises(UndeclaredEvent, match=r"agent\.state\.mood: not declared"), transaction.atomic():
        send_event_on_commit(
            schema,
            {"type": "agent.state", "agent_id": 1, "state": "away", "reason": None, "since": "x", "mood": 1},
            group,
        )
    with pytest.raises(UndeclaredEvent, match="expected integer"), transaction.atomic():
        send_event_on_commit(schema, {"type": "interaction.offered", "interaction_id": "7"}, group)


def test_in_production_a_mismatch_is_logged(cc: ContactCenter, caplog: pytest.LogCaptureFixture) -> None:
    schema = cc.info.schema_name
    with override_settings(REALTIME_EVENTS_STRICT=False), caplog.at_level(logging.ERROR, logger=events.__name__):
        events.send_events([(schema, {"type": "agent.mood"}, [user_group(schema, 1)])])
    assert "not declared" in caplog.text


def test_the_declarations_are_listed_in_the_architecture_doc() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    declared: dict[str, Any] = events.declared_events()
    assert len(declared) >= len(FLOWS)
    missing = [t for t in declared if f"`{t}`" not in doc]
    assert missing == [], "run `python -m ccaas.launcher manage event_table` and paste it into docs/architecture.md"
