from django.apps import AppConfig


def on_agent_state_changed(agent_id: int, state: str) -> None:
    """Presence changed (agents' `agent_state_changed` hook, after its transaction): an available
    agent is offered work once that commits; one who left has their ringing offers moved on."""
    from apps.agents.models import AgentState

    from .actions import after_commit_route_agent, cancel_pending_offers_of

    if state == AgentState.AVAILABLE:
        after_commit_route_agent(agent_id)
    else:
        cancel_pending_offers_of(agent_id, reason="agent_unavailable")


def on_agent_routing_changed(agent_id: int) -> None:
    from . import engine

    engine.forget_cached_plans()


def create_first_queue(tenant: object) -> None:
    """tenants' `tenant_schema_created` hook (inside the new schema): a contact center starts with a
    "Support" queue."""
    from .models import Queue

    Queue.objects.create(name="Support")


def queues_whose_steps_name(reference: str) -> list[str]:
    """The queues whose routing steps use `reference` as a whole word ("skills.billing", not
    "skills.billing_vip")."""
    import re

    from .models import RoutingStep

    pattern = re.compile(r"(?<![\w.])" + re.escape(reference) + r"(?![\w])")
    steps = RoutingStep.objects.filter(expression__contains=reference).select_related("queue")
    return sorted({s.queue.name for s in steps if pattern.search(s.expression)})


class RoutingConfig(AppConfig):
    name = "apps.routing"
    label = "routing"

    def ready(self) -> None:
        # Routing reacts to lower apps through hooks and timers it registers here; they never import it.
        from apps.core.hooks import register_hook
        from apps.core.timers import register_timer

        from . import actions, events, timers  # noqa: F401  (events: declares routing's realtime events)

        register_timer(timers.OFFER, actions.do_expire_offer)
        register_timer(timers.RECONSIDER, actions.do_reconsider_interaction)
        register_timer(timers.MAX_WAIT, actions.do_handle_max_wait)
        register_timer(timers.DECLINED, actions.do_forgive_declines)
        register_hook("agent_state_changed", on_agent_state_changed)
        register_hook("agent_routing_changed", on_agent_routing_changed)
        register_hook("tenant_schema_created", create_first_queue)
        register_hook("routing_names_used", queues_whose_steps_name)
