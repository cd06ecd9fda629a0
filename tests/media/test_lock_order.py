"""The lock order (offer -> interaction -> call -> agent profile) under real concurrency: two threads,
each with its own PostgreSQL connection and transaction, race on one ringing call.

- An agent accepts the call's offer while the customer hangs up: before the order was followed
  everywhere, hang-up locked the call, then the interaction, then the offer, and accepting locked the
  offer, the interaction, then the call; PostgreSQL killed one of them with "deadlock detected",
  which closed the agent's socket.
- Two starts of a call by one visitor at once (two tabs, a double click): one call, never two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, connections

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentProfile, AgentState
from apps.core.errors import ApplicationError
from apps.desktop.actions import do_accept_offer_and_answer
from apps.inbox.models import Contact, Interaction
from apps.media.actions import Seat, do_leave_call, do_start_call
from apps.media.actions.calls import CUSTOMER
from apps.media.models import Call, CallParty
from apps.routing.models import Offer
from tests.inbox.conftest import ContactCenter, make_center
from tests.processes import wait_until

ROUNDS = 25


@pytest.fixture
def cc() -> ContactCenter:
    return make_center("https://shop.example", agents=1)


def race(schema: str, *jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at the same moment, each on its own thread and database connection. Returns each
    job's result, or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(n: int, job: Callable[[], Any]) -> None:
        try:
            connection.set_schema(schema)
            barrier.wait(timeout=30)
            results[n] = job()
        except BaseException as exc:
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def ringing_call(cc: ContactCenter, agent: AgentProfile) -> tuple[Call, Offer]:
    contact = Contact.objects.create(name="Caller")
    call = do_start_call(contact=contact, queue=cc.queue, mode="audio", context={}, page={}, attributes={})
    do_set_agent_state(AgentProfile.objects.get(pk=agent.pk), AgentState.AVAILABLE)
    wait_until(
        lambda: Offer.objects.filter(interaction_id=call.interaction_id, status="pending").exists(), 10, "the offer"
    )
    return call, Offer.objects.get(interaction_id=call.interaction_id, status="pending")


def test_accepting_a_call_while_the_customer_hangs_up_never_deadlocks(cc: ContactCenter) -> None:
    schema = cc.info.schema_name
    connection.set_schema(schema)
    agent = cc.agents[0]
    user = agent.user
    outcomes: dict[str, int] = {"answered_then_ended": 0, "abandoned": 0}
    for _round in range(ROUNDS):
        call, offer = ringing_call(cc, agent)
        accepted, hung_up = race(
            schema,
            lambda offer=offer: do_accept_offer_and_answer(offer.pk, user),
            lambda call=call: do_leave_call(Seat(call.call_id, CUSTOMER, CallParty.Role.CUSTOMER)),
        )
        for result in (accepted, hung_up):
            if isinstance(result, OperationalError):
                pytest.fail(f"database error in the race: {result}")
            if isinstance(result, BaseException) and not isinstance(result, ApplicationError):
                raise result
        assert not isinstance(hung_up, BaseException), hung_up  # hanging up always works
        connection.set_schema(schema)
        call.refresh_from_db()
        offer.refresh_from_db()
        interaction = Interaction.objects.get(pk=call.interaction_id)
        assert call.state == Call.State.ENDED
        if isinstance(accepted, ApplicationError):
            # The hang-up won: the offer stopped ringing, the call was never answered, nobody holds it.
            assert offer.status == Offer.Status.CANCELLED
            assert call.answered_at is None
            assert interaction.routing_status == Interaction.RoutingStatus.ABANDONED
            outcomes["abandoned"] += 1
        else:
            # The accept won: answered, then ended by the customer; the work completes (wrap-up or not).
            assert offer.status == Offer.Status.ACCEPTED
            assert call.answered_at is not None and accepted["call"]["call_id"] == call.call_id
            wait_until(
                lambda call=call: (
                    Interaction.objects.get(pk=call.interaction_id).routing_status
                    == Interaction.RoutingStatus.COMPLETED
                ),
                10,
                "the work to complete",
            )
            outcomes["answered_then_ended"] += 1
        # Whatever won, the agent holds no call afterwards.
        wait_until(lambda: AgentProfile.objects.get(pk=agent.pk).load_voice == 0, 10, "the agent's load freed")
        do_set_agent_state(AgentProfile.objects.get(pk=agent.pk), AgentState.AWAY)
    assert sum(outcomes.values()) == ROUNDS, outcomes


def test_two_starts_of_a_call_by_one_visitor_make_one_call(cc: ContactCenter) -> None:
    schema = cc.info.schema_name
    connection.set_schema(schema)
    for _round in range(10):
        contact = Contact.objects.create(name="Double click")

        def start(contact: Contact = contact) -> Call:
            return do_start_call(contact=contact, queue=cc.queue, mode="audio", context={}, page={}, attributes={})

        first, second = race(schema, start, start)
        made = [r for r in (first, second) if isinstance(r, Call)]
        refused = [r for r in (first, second) if isinstance(r, ApplicationError)]
        assert len(made) == 1 and len(refused) == 1, (first, second)
        assert refused[0].code == "call_in_progress"
        connection.set_schema(schema)
        assert Call.objects.filter(interaction__contact=contact).count() == 1
        assert Interaction.objects.filter(contact=contact).count() == 1
        do_leave_call(Seat(made[0].call_id, CUSTOMER, CallParty.Role.CUSTOMER))
