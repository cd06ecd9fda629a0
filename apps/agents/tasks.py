from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import schema_context, schema_exists

from . import presence

logger = logging.getLogger(__name__)


@shared_task(name="agents.sweep_presence")
def sweep_presence() -> int:
    """Make offline every agent whose desktop tabs all stopped refreshing. Runs every few seconds
    from beat (platform-wide, one cheap Redis range query when nobody is due)."""
    from .actions import do_set_agent_state
    from .models import AgentProfile, AgentState

    gone = 0
    for schema, user_id in presence.due():
        if presence.live_connections(schema, user_id) > 0:
            continue  # another tab is alive; its own deadline is in the index
        presence.forget(schema, user_id)
        if not schema_exists(schema):
            continue
        with schema_context(schema):
            agent = AgentProfile.objects.filter(user_id=user_id).exclude(state=AgentState.OFFLINE).first()
            if agent is not None:
                do_set_agent_state(agent, AgentState.OFFLINE, cause="disconnect")
                gone += 1
    return gone
