"""Working on a conversation: who may, agent replies, resolve (with disposition and note), transfer to
an agent or a queue, the customer's rating."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.hooks import domain_event_on_commit, run_hooks
from apps.core.tenancy import current_schema

from .. import record
from ..models import Attachment, Disposition, Interaction, Message
from .messages import do_post_message, interaction_group


def check_can_work_on(user: User, interaction: Interaction) -> None:
    """Agents work on what is theirs; supervisors and admins on anything."""
    if user.is_manager or interaction.assignee_id == user.pk:
        return
    raise PermissionDenied(_("This conversation is not assigned to you."))


def do_agent_reply(
    interaction: Interaction,
    user: User,
    body: str,
    *,
    note: bool = False,
    attachment: Attachment | None = None,
    client_id: str = "",
) -> Message:
    check_can_work_on(user, interaction)
    kind = Message.Kind.NOTE if note else Message.Kind.AGENT
    return do_post_message(interaction, kind=kind, body=body, author=user, attachment=attachment, client_id=client_id)


def do_resolve(
    interaction: Interaction, user: User, *, disposition_id: int | None = None, note: str = ""
) -> Interaction:
    from apps.routing.actions import announce_assignments_on_commit, do_complete_interaction
    from apps.routing.locks import lock_interaction

    check_can_work_on(user, interaction)
    if interaction.status == Interaction.Status.RESOLVED:
        raise ApplicationError(_("This conversation is already resolved."), code="already_resolved", status=409)
    queue = interaction.queue
    fields: dict[str, list[str]] = {}
    disposition = Disposition.objects.filter(pk=disposition_id).first() if disposition_id else None
    if disposition_id and disposition is None:
        fields["disposition"] = [_("Choose a disposition from the list.")]
    if queue and queue.require_disposition and disposition is None:
        fields.setdefault("disposition", [_("This queue asks for a disposition.")])
    if queue and queue.require_note and not note.strip():
        fields["note"] = [_("This queue asks for a note.")]
    if fields:
        raise ValidationFailed(_("Some details are missing."), fields=fields)
    with transaction.atomic():
        # Checked again under the lock (the lock order: the interaction's offers, then it): of two
        # resolves at once, or a resolve racing a transfer, the second sees what the first did.
        _offers, locked = lock_interaction(interaction.pk)
        if locked is None:
            raise NotFound(_("No such conversation."))
        interaction = locked
        check_can_work_on(user, interaction)
        if interaction.status == Interaction.Status.RESOLVED:
            raise ApplicationError(_("This conversation is already resolved."), code="already_resolved", status=409)
        interaction.status = Interaction.Status.RESOLVED
        interaction.disposition = disposition
        interaction.resolution_note = note.strip()[:4000]
        interaction.resolved_at = timezone.now()
        interaction.save(update_fields=["status", "disposition", "resolution_note", "resolved_at"])
        do_post_message(
            interaction,
            kind=Message.Kind.SYSTEM,
            body=_("%(name)s resolved the conversation.") % {"name": user.display_name},
        )
        schema = current_schema()
        send_event_on_commit(
            schema,
            {"type": "interaction.resolved", "interaction_id": interaction.pk, "csat": True},
            [interaction_group(schema, interaction.pk)],
        )
        announce_assignments_on_commit(schema, interaction.assignee_id)
        closed_id = interaction.pk
        transaction.on_commit(lambda: run_hooks("interaction_closed", interaction_id=closed_id))  # analytics
        domain_event_on_commit("interaction.resolved", interaction_id=closed_id)
    if interaction.routing_status == Interaction.RoutingStatus.ASSIGNED:
        do_complete_interaction(interaction.pk)
    return interaction


def do_transfer(
    interaction: Interaction,
    user: User,
    *,
    to_agent: AgentProfile | None = None,
    to_queue: Any = None,
    note: str = "",
    how: str = "blind",
) -> Interaction:
    """Hand the conversation to another agent (offered to them directly) or back to a queue. All of
    it is one transaction: a refused target (agent unavailable, queue full or closed) changes nothing."""
    from apps.routing import engine
    from apps.routing.actions import (
        announce_assignments_on_commit,
        announce_offer,
        do_enqueue_interaction,
        release_load,
    )
    from apps.routing.locks import lock_interaction

    check_can_work_on(user, interaction)
    if (to_agent is None) == (to_queue is None):
        raise ValidationFailed(_("Choose an agent or a queue."), fields={"to": [_("Choose one.")]})
    if interaction.routing_status != Interaction.RoutingStatus.ASSIGNED:
        raise ApplicationError(
            _("Only a conversation with an agent can be transferred."), code="not_assigned", status=409
        )
    if to_agent is not None and to_agent.user_id == interaction.assignee_id:
        raise ValidationFailed(_("It is already with this agent."), fields={"to": [_("Choose someone else.")]})
    target = to_agent.user.display_name if to_agent else to_queue.name
    with transaction.atomic():
        _offers, found = lock_interaction(interaction.pk)  # the lock order: its offers, then it
        if found is None:
            raise NotFound(_("No such conversation."))
        locked = found
        if locked.routing_status != Interaction.RoutingStatus.ASSIGNED:
            raise ApplicationError(
                _("Only a conversation with an agent can be transferred."), code="not_assigned", status=409
            )
        previous_agent = locked.assigned_agent_id
        record.record_transfer(
            locked,
            from_agent_id=previous_agent,
            how=how,
            at=record.db_now(),
            to_agent_id=to_agent.pk if to_agent is not None else None,
            to_queue_id=to_queue.pk if to_queue is not None else None,
        )
        announce_assignments_on_commit(current_schema(), locked.assignee_id)
        locked.routing_status = Interaction.RoutingStatus.QUEUED
        locked.assignee = None
        locked.assigned_agent = None
        locked.declined_agent_ids = []
        locked.save(update_fields=["routing_status", "assignee", "assigned_agent", "declined_agent_ids"])
        if previous_agent:
            AgentProfile.objects.select_for_update().get(pk=previous_agent)
            release_load(previous_agent, locked.channel, work_ended=True)
        body = _("%(who)s transferred the conversation to %(target)s.") % {"who": user.display_name, "target": target}
        do_post_message(locked, kind=Message.Kind.SYSTEM, body=body)
        if note.strip():
            do_post_message(locked, kind=Message.Kind.NOTE, body=note, author=user)
        if to_agent is not None:
            made = engine.offer_to_specific_agent(locked.pk, to_agent.pk)
            if made is None:
                raise ApplicationError(
                    _("%(name)s cannot take it now (not available or at capacity).")
                    % {"name": to_agent.user.display_name},
                    code="agent_unavailable",
                    status=409,
                )
            announce_offer(made)
        else:
            do_enqueue_interaction(
                channel=locked.channel,
                queue=to_queue,
                priority=locked.priority,
                attributes=locked.attributes,
                subject=locked.subject,
                interaction=locked,
            )
    if previous_agent:
        from apps.routing.actions import route_agent_now

        transaction.on_commit(lambda: route_agent_now(previous_agent))
    locked.refresh_from_db()
    return locked


def do_record_csat(interaction: Interaction, score: Any, comment: Any = "") -> Interaction:
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationFailed(_("Rate from 1 to 5."), fields={"score": [_("Choose 1 to 5.")]})
    if not isinstance(comment, str) or len(comment) > 2000:
        raise ValidationFailed(_("Comments are limited to 2000 characters."), fields={"comment": [_("Too long.")]})
    if interaction.status != Interaction.Status.RESOLVED:
        raise ApplicationError(_("You can rate the conversation when it is over."), code="not_resolved", status=409)
    if interaction.csat_score is not None:
        raise ApplicationError(_("Thanks, you already rated this conversation."), code="already_rated", status=409)
    rated = Interaction.objects.filter(pk=interaction.pk, csat_score__isnull=True).update(
        csat_score=score, csat_comment=comment.strip(), csat_at=timezone.now()
    )
    interaction.refresh_from_db()
    if rated:
        domain_event_on_commit("csat.received", interaction_id=interaction.pk)
    return interaction
