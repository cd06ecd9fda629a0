"""Two resolves of one conversation at once (two tabs, or an agent and a supervisor): one wins, the
other is told it is already resolved, and the conversation is resolved and completed exactly once."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentProfile, AgentState
from apps.core.errors import ApplicationError
from apps.inbox.actions import do_open_interaction, do_resolve
from apps.inbox.models import Contact, Disposition, Interaction, Message
from apps.routing.actions import do_accept_offer
from apps.routing.models import Offer
from tests.inbox.conftest import ContactCenter, make_center
from tests.media.test_lock_order import race
from tests.processes import wait_until


@pytest.fixture
def cc() -> ContactCenter:
    return make_center("https://shop.example", agents=1)


def test_two_resolves_at_once_resolve_once(cc: ContactCenter) -> None:
    schema = cc.info.schema_name
    connection.set_schema(schema)
    agent = AgentProfile.objects.get(pk=cc.agents[0].pk)
    user = agent.user
    solved = Disposition.objects.get(name="Solved")
    for n in range(10):
        do_set_agent_state(AgentProfile.objects.get(pk=agent.pk), AgentState.AVAILABLE)  # after any wrap-up
        chat = do_open_interaction(channel="chat", queue=cc.queue, contact=Contact.objects.create(name=f"C{n}"))
        wait_until(lambda chat=chat: Offer.objects.filter(interaction=chat, status="pending").exists(), 10, "offer")
        do_accept_offer(Offer.objects.get(interaction=chat, status="pending").pk, user)
        chat.refresh_from_db()

        def resolve(note: str, chat: Interaction = chat) -> Interaction:
            return do_resolve(chat, user, disposition_id=solved.pk, note=note)

        first, second = race(schema, lambda: resolve("first"), lambda: resolve("second"))
        won = [r for r in (first, second) if isinstance(r, Interaction)]
        lost = [r for r in (first, second) if isinstance(r, ApplicationError)]
        assert len(won) == 1 and len(lost) == 1, (first, second)
        assert lost[0].code == "already_resolved"
        connection.set_schema(schema)
        chat.refresh_from_db()
        assert chat.status == Interaction.Status.RESOLVED
        assert chat.resolution_note == won[0].resolution_note  # the loser overwrote nothing
        resolved_notes = Message.objects.filter(interaction=chat, kind="system", body__contains="resolved")
        assert resolved_notes.count() == 1
        wait_until(lambda chat=chat: Interaction.objects.get(pk=chat.pk).routing_status == "completed", 10, "completed")
        wait_until(lambda: AgentProfile.objects.get(pk=agent.pk).load_chat == 0, 10, "the agent's chat freed")
