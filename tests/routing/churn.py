"""A routing worker for the concurrency test: random operations against one tenant, as fast as it
can. Run as its own process: python -m tests.routing.churn <schema> <seed> <operations>."""

from __future__ import annotations

import os
import random
import sys
from datetime import timedelta


def main(schema: str, seed: int, operations: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from apps.agents.actions import do_set_agent_state
    from apps.agents.models import AgentProfile, AgentState
    from apps.core.errors import ApplicationError
    from apps.inbox.actions import do_open_interaction
    from apps.inbox.models import Interaction
    from apps.routing.actions import (
        do_accept_offer,
        do_complete_interaction,
        do_expire_offer,
        do_reject_offer,
        route_agent_now,
    )
    from apps.routing.models import Offer, Queue

    connection.set_schema(schema)
    rng = random.Random(seed)
    queues = list(Queue.objects.all())
    agent_ids = list(AgentProfile.objects.values_list("pk", flat=True))
    counts: dict[str, int] = {}
    for _ in range(operations):
        op = rng.choices(
            ["enqueue", "accept", "reject", "expire", "complete", "presence", "free"], weights=[30, 20, 8, 6, 20, 6, 10]
        )[0]
        try:
            if op == "enqueue":
                do_open_interaction(
                    channel=rng.choice(["chat", "chat", "voice", "email"]),
                    queue=rng.choice(queues),
                    priority=rng.randint(0, 3),
                    attributes={"vip": rng.random() < 0.3},
                )
            elif op in {"accept", "reject", "expire"}:
                offer = Offer.objects.filter(status="pending").order_by("?").select_related("agent__user").first()
                if offer is None:
                    continue
                if op == "accept":
                    do_accept_offer(offer.pk, offer.agent.user)
                elif op == "reject":
                    do_reject_offer(offer.pk, offer.agent.user)
                else:
                    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
                    do_expire_offer(offer.pk)
            elif op == "complete":
                interaction = Interaction.objects.filter(routing_status="assigned").order_by("?").first()
                if interaction is None:
                    continue
                do_complete_interaction(interaction.pk)
            elif op == "presence":
                agent = AgentProfile.objects.get(pk=rng.choice(agent_ids))
                target = AgentState.AWAY if agent.state == AgentState.AVAILABLE else AgentState.AVAILABLE
                do_set_agent_state(agent, target)
            else:
                route_agent_now(rng.choice(agent_ids))
            counts[op] = counts.get(op, 0) + 1
        except ApplicationError as exc:  # lost a race (offer already taken, ...): expected and harmless
            counts["refused:" + exc.code] = counts.get("refused:" + exc.code, 0) + 1
    print(counts, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
