"""The JSON of each event (docs/webhooks.md is its reference: change both together, and only by
adding fields). Built right after the change commits, from the hook's ids, so it shows the state
just after the event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.inbox.models import Interaction, Message


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def interaction_json(interaction: Interaction) -> dict[str, Any]:
    queue, agent = interaction.queue, interaction.assigned_agent
    return {
        "id": interaction.pk,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "status": interaction.status,
        "routing_status": interaction.routing_status,
        "subject": interaction.subject,
        "case_id": str(interaction.case_id),
        "created_at": _iso(interaction.created_at),
        "assigned_at": _iso(interaction.assigned_at),
        "resolved_at": _iso(interaction.resolved_at),
        "queue": {"id": queue.pk, "name": queue.name} if queue else None,
        "agent": _agent(agent) if agent else None,
        "contact": {"id": interaction.contact_id} if interaction.contact_id else None,
        "disposition": interaction.disposition.name if interaction.disposition else None,
        "labels": list(interaction.labels),
    }


def _agent(agent: Any) -> dict[str, Any]:
    return {"id": agent.pk, "user_id": agent.user_id, "name": agent.user.display_name}


def _interaction(interaction_id: int) -> Interaction | None:
    return (
        Interaction.objects.select_related("queue", "assigned_agent__user", "disposition")
        .filter(pk=interaction_id)
        .first()
    )


def build(name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The event's `data`, or None when what it names is gone (deleted since)."""
    if name == "contact.merged":
        return {"contact": {"id": payload["contact_id"]}, "merged": {"id": payload["merged_id"]}}
    interaction = _interaction(int(payload["interaction_id"]))
    if interaction is None:
        return None
    data: dict[str, Any] = {"interaction": interaction_json(interaction)}
    if name == "interaction.assigned":
        from apps.agents.models import AgentProfile

        agent = AgentProfile.objects.select_related("user").filter(pk=int(payload.get("agent_id") or 0)).first()
        data["agent"] = _agent(agent) if agent else None
    elif name == "message.created":
        message = (
            Message.objects.select_related("author", "attachment")
            .filter(interaction_id=interaction.pk, seq=payload["seq"])
            .first()
        )
        if message is None:
            return None
        data["message"] = {
            "id": message.pk,
            "seq": message.seq,
            "kind": message.kind,
            "body": message.body,
            "created_at": _iso(message.created_at),
            "author": {"user_id": message.author_id, "name": message.author.display_name} if message.author else None,
            "attachment": {
                "name": message.attachment.name,
                "content_type": message.attachment.content_type,
                "size": message.attachment.size,
            }
            if message.attachment
            else None,
        }
    elif name == "call.ended":
        data["call"] = payload["call"]
    elif name == "csat.received":
        data["csat"] = {
            "score": interaction.csat_score,
            "comment": interaction.csat_comment,
            "at": _iso(interaction.csat_at),
        }
    return data
