"""Routing to the agent who helped the customer last, across channels (issue 16): with the queue's
option on, a customer who chatted with Bea and now writes on WhatsApp is offered to Bea first, though
Alex has waited longer; with it off, to Alex; an agent no longer in the queue is not preferred."""

from __future__ import annotations

from django.db import connection

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.actions import do_identify_contact, do_open_interaction
from apps.routing.actions import do_accept_offer
from apps.routing.models import Offer
from tests.inbox.conftest import make_center


def test_a_returning_customer_goes_to_their_last_agent_on_any_channel() -> None:
    cc = make_center("http://127.0.0.1:9", agents=2)
    connection.set_schema(cc.info.schema_name)
    alex, bea = cc.agents
    customer = do_identify_contact({"phone": "+4915112345678"}, {"name": "Ana"})
    # Bea helped Ana in a chat.
    do_set_agent_state(bea, AgentState.AVAILABLE)
    chat = do_open_interaction(channel="chat", queue=cc.queue, contact=customer)
    do_accept_offer(Offer.objects.get(interaction=chat).pk, bea.user)
    # Now both are free, and Alex has been idle longer.
    do_set_agent_state(alex, AgentState.AVAILABLE)
    alex.refresh_from_db()
    bea.refresh_from_db()
    bea.idle_since = alex.idle_since.replace(year=alex.idle_since.year + 1)
    bea.save(update_fields=["idle_since"])

    cc.queue.prefer_last_agent = True
    cc.queue.save(update_fields=["prefer_last_agent"])
    whatsapp = do_open_interaction(channel="messaging", queue=cc.queue, contact=customer)
    assert whatsapp.preferred_agent_id == bea.pk
    assert Offer.objects.get(interaction=whatsapp).agent_id == bea.pk

    # Off: the longest idle agent (Alex) gets the next one.
    cc.queue.prefer_last_agent = False
    cc.queue.save(update_fields=["prefer_last_agent"])
    sms = do_open_interaction(channel="messaging", queue=cc.queue, contact=customer)
    assert sms.preferred_agent_id is None
    assert Offer.objects.get(interaction=sms).agent_id == alex.pk

    # On again, but Bea has left the queue: nobody is preferred.
    cc.queue.prefer_last_agent = True
    cc.queue.save(update_fields=["prefer_last_agent"])
    cc.queue.members.remove(bea)
    later = do_open_interaction(channel="messaging", queue=cc.queue, contact=customer)
    assert later.preferred_agent_id is None
    connection.set_schema_to_public()
