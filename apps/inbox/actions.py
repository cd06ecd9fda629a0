"""Writes of the inbox: contacts and identities, messages, attachments, resolve, transfer, CSAT.

Everything shown to a person is persisted before it is sent; events go out after commit to the
interaction's group (the customer's widget, the agents viewing it and the assignee's desktops, which follow
every open conversation assigned to them)."""

from __future__ import annotations

import functools
import mimetypes
import re
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.tenancy import current_schema

from .models import Attachment, CannedResponse, Contact, ContactIdentity, Disposition, Interaction, Message

MAX_MESSAGE_CHARS = 4000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "video/mp4",
    "audio/mpeg",
    "audio/ogg",
}
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def interaction_group(schema: str, interaction_id: int) -> str:
    from apps.routing.actions import interaction_group as group

    return group(schema, interaction_id)


# --- contacts -----------------------------------------------------------------------------------


def check_phone(phone: str) -> str:
    cleaned = re.sub(r"[\s\-().]", "", phone or "")
    if cleaned and not _E164.match(cleaned):
        raise ValidationFailed(
            _("Use the international format, e.g. +4930123456."), fields={"phone": [_("Not an E.164 number.")]}
        )
    return cleaned


def do_identify_contact(identities: dict[str, str], profile: dict[str, Any] | None = None) -> Contact:
    """The contact owning any of these identities ({kind: value}), created if none does; every
    identity given is attached to it. Profile fields fill blanks, never overwrite."""
    profile = profile or {}
    with transaction.atomic():
        found = (
            ContactIdentity.objects.select_for_update()
            .select_related("contact")
            .filter(kind__in=list(identities), value__in=list(identities.values()))
        )
        contact = next((i.contact for i in found if identities.get(i.kind) == i.value), None)
        while contact is not None and contact.merged_into_id:
            contact = Contact.objects.get(pk=contact.merged_into_id)
        if contact is None:
            contact = Contact.objects.create()
        changed = []
        for field in ("name", "email", "phone"):
            value = str(profile.get(field) or "")[:150]
            if value and not getattr(contact, field):
                setattr(contact, field, check_phone(value) if field == "phone" else value)
                changed.append(field)
        attrs = profile.get("attributes")
        if isinstance(attrs, dict) and attrs:
            contact.attributes = {**contact.attributes, **attrs}
            changed.append("attributes")
        if changed:
            contact.save(update_fields=changed)
        for kind, value in identities.items():
            if value:
                ContactIdentity.objects.get_or_create(kind=kind, value=value[:254], defaults={"contact": contact})
    return contact


def do_merge_contacts(keep: Contact, other: Contact) -> Contact:
    """Merge `other` into `keep`: its identities and interactions follow."""
    if keep.pk == other.pk:
        raise ValidationFailed(_("A contact cannot be merged into itself."))
    with transaction.atomic():
        ContactIdentity.objects.filter(contact=other).update(contact=keep)
        Interaction.objects.filter(contact=other).update(contact=keep)
        for field in ("name", "email", "phone"):
            if not getattr(keep, field) and getattr(other, field):
                setattr(keep, field, getattr(other, field))
        keep.attributes = {**other.attributes, **keep.attributes}
        keep.save()
        other.merged_into = keep
        other.save(update_fields=["merged_into"])
    return keep


# --- messages -----------------------------------------------------------------------------------


def message_payload(message: Message) -> dict[str, Any]:
    author = message.author
    data: dict[str, Any] = {
        "seq": message.seq,
        "kind": message.kind,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "client_id": message.client_id or None,
        "author": {"id": author.pk, "name": author.display_name} if author else None,
    }
    if message.attachment_id:
        att = message.attachment
        assert att is not None
        data["attachment"] = {
            "id": att.pk,
            "name": att.name,
            "content_type": att.content_type,
            "size": att.size,
            "url": f"/inbox/attachments/{att.pk}",
        }
    return data


def _next_seq(interaction_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inbox_interaction SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq", [interaction_id]
        )
        row = cursor.fetchone()
    if row is None:
        raise ApplicationError(_("No such conversation."), code="not_found", status=404)
    return int(row[0])


def do_post_message(
    interaction: Interaction,
    *,
    kind: str,
    body: str = "",
    author: User | None = None,
    attachment: Attachment | None = None,
    client_id: str = "",
) -> Message:
    body = check_message_body(body, allow_empty=attachment is not None)
    if interaction.status == Interaction.Status.RESOLVED and kind in {Message.Kind.CUSTOMER, Message.Kind.AGENT}:
        raise ApplicationError(_("This conversation is closed."), code="interaction_resolved", status=409)
    with transaction.atomic():
        message = Message.objects.create(
            interaction=interaction,
            seq=_next_seq(interaction.pk),
            kind=kind,
            body=body,
            author=author,
            attachment=attachment,
            client_id=client_id[:64],
        )
        schema = current_schema()
        event = {"type": "message", "interaction_id": interaction.pk, "message": message_payload(message)}
        if kind == Message.Kind.NOTE:
            # Private notes never reach the customer: only the agents' desktops.
            send_event_on_commit(schema, {**event, "type": "message.note"}, _agent_groups(schema, interaction))
        else:
            # The assignee's desktops follow the conversation's group (InboxFrames.follow_assigned):
            # this one event reaches the customer, whoever has it open and the assignee's inbox list.
            send_event_on_commit(schema, event, [interaction_group(schema, interaction.pk)])
    return message


# The hot path of `do_post_message` for a text message to an open conversation, one statement in
# autocommit on the event loop (apps/core/adb.py). The CTE bumps the conversation's seq only if it is
# open (and, for an agent, theirs or the agent is a manager), inserts the message with that seq, and
# returns what the events need. No row: the fast path does not apply and the caller runs the ORM
# path, which decides and explains (a new conversation, a resolved one, a forbidden one).
_HOT_POST = """
WITH i AS (
    UPDATE {interaction} SET last_seq = last_seq + 1
    WHERE id = %(iid)s AND status <> 'resolved' AND (%(anyone)s OR assignee_id = %(author)s)
    RETURNING id, last_seq
), m AS (
    INSERT INTO {message} (interaction_id, seq, kind, body, client_id, created_at, author_id, attachment_id)
    SELECT id, last_seq, %(kind)s, %(body)s, %(client_id)s, now(), %(author)s, NULL FROM i
    RETURNING seq, created_at
)
SELECT seq, created_at FROM m
"""


@functools.lru_cache(maxsize=4096)
def _hot_post_query(schema: str) -> bytes:
    """_HOT_POST with this tenant's tables, composed once per schema (psycopg then caches its
    conversion to a PostgreSQL statement by text, and prepares it after a few runs)."""
    from psycopg import sql

    from apps.core import adb

    return (
        sql.SQL(_HOT_POST)
        .format(
            interaction=adb.table(schema, Interaction._meta.db_table), message=adb.table(schema, Message._meta.db_table)
        )
        .as_bytes()
    )


def check_message_body(body: Any, *, allow_empty: bool = False) -> str:
    """The message's text, stripped; empty only when allowed (a message carrying an attachment)."""
    body = body.strip() if isinstance(body, str) else ""
    if not body and not allow_empty:
        raise ValidationFailed(_("Write a message."), fields={"body": [_("The message is empty.")]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise ValidationFailed(
            _("Messages are limited to %(n)d characters.") % {"n": MAX_MESSAGE_CHARS}, fields={"body": [_("Too long.")]}
        )
    return body


async def apost_message(
    schema: str,
    interaction_id: int,
    *,
    kind: str,
    body: Any,
    client_id: Any = "",
    author: User | None = None,
) -> dict[str, Any] | None:
    """Post a text message (customer, agent or note) to an open conversation and announce it, as
    `do_post_message` does, in one round trip. Returns the message payload, or None when the ORM
    path must decide (see _HOT_POST). An agent may post only to a conversation assigned to them
    unless they are a manager."""
    from apps.core import adb
    from apps.core.events import asend_events

    text = check_message_body(body)
    params = {
        "iid": interaction_id,
        "kind": kind,
        "body": text,
        "client_id": (client_id if isinstance(client_id, str) else "")[:64],
        "author": author.pk if author is not None else None,
        "anyone": author is None or author.is_manager,
    }
    row = await adb.fetchone(_hot_post_query(schema), params)
    if row is None:
        return None
    seq, created_at = row
    payload = {
        "seq": seq,
        "kind": kind,
        "body": text,
        "created_at": created_at.isoformat(),
        "client_id": params["client_id"] or None,
        "author": {"id": author.pk, "name": author.display_name} if author is not None else None,
    }
    event = {"type": "message", "interaction_id": interaction_id, "message": payload}
    sends: list[tuple[dict[str, Any], list[str]]]
    if kind == Message.Kind.NOTE:
        sends = [({**event, "type": "message.note"}, [agents_group(schema, interaction_id)])]
    else:
        sends = [(event, [interaction_group(schema, interaction_id)])]
    await asend_events(schema, sends)
    return payload


def _agent_groups(schema: str, interaction: Interaction) -> list[str]:
    from apps.core.keys import group_name

    return [group_name(schema, "interaction", interaction.pk, "agents")]


def agents_group(schema: str, interaction_id: int) -> str:
    from apps.core.keys import group_name

    return group_name(schema, "interaction", interaction_id, "agents")


def do_store_attachment(interaction: Interaction, upload: UploadedFile) -> Attachment:
    size = upload.size or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            _("Files are limited to %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // 1024 // 1024},
            fields={"file": [_("Too large.")]},
        )
    if size == 0:
        raise ValidationFailed(_("The file is empty."), fields={"file": [_("Empty file.")]})
    name = (upload.name or "file").replace("/", "_")[-200:]
    guessed = mimetypes.guess_type(name)[0] or ""
    content_type = (upload.content_type or guessed).split(";")[0].strip().lower()
    if content_type not in ALLOWED_ATTACHMENT_TYPES or (guessed and guessed != content_type):
        raise ValidationFailed(
            _("This type of file is not allowed."),
            fields={"file": [_("Allowed: images, PDF, text, CSV, ZIP, MP4, MP3, OGG.")]},
        )
    attachment = Attachment(interaction=interaction, name=name, content_type=content_type, size=size)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def render_canned(response: CannedResponse, interaction: Interaction, agent: User) -> str:
    contact = interaction.contact
    name = (contact.name if contact else "") or _("there")
    values = {"customer.name": name, "customer.first_name": name.split(" ")[0], "agent.name": agent.display_name}
    return re.sub(r"\{\{\s*([a-z_.]+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), response.body)


# --- work on an interaction ---------------------------------------------------------------------


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
        interaction = Interaction.objects.select_for_update(of=("self",)).get(pk=interaction.pk)
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
    if interaction.routing_status == Interaction.RoutingStatus.ASSIGNED:
        do_complete_interaction(interaction.pk)
    return interaction


def do_transfer(
    interaction: Interaction, user: User, *, to_agent: AgentProfile | None = None, to_queue: Any = None, note: str = ""
) -> Interaction:
    """Hand the conversation to another agent (offered to them directly) or back to a queue."""
    from apps.routing import engine
    from apps.routing.actions import (
        _announce_offer,
        _release_load,
        announce_assignments_on_commit,
        do_enqueue_interaction,
    )

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
        locked = Interaction.objects.select_for_update(of=("self",)).get(pk=interaction.pk)
        previous_agent = locked.assigned_agent_id
        announce_assignments_on_commit(current_schema(), locked.assignee_id)
        locked.routing_status = Interaction.RoutingStatus.QUEUED
        locked.assignee = None
        locked.assigned_agent = None
        locked.declined_agent_ids = []
        locked.save(update_fields=["routing_status", "assignee", "assigned_agent", "declined_agent_ids"])
        if previous_agent:
            AgentProfile.objects.select_for_update().get(pk=previous_agent)
            _release_load(previous_agent, locked.channel, work_ended=True)
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
            _announce_offer(made)
    if to_queue is not None:
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
    Interaction.objects.filter(pk=interaction.pk, csat_score__isnull=True).update(
        csat_score=score, csat_comment=comment.strip()
    )
    interaction.refresh_from_db()
    return interaction


_AGENT_READ = """
UPDATE {interaction} SET agent_read_seq = %(seq)s
WHERE id = %(iid)s AND assignee_id = %(user)s AND agent_read_seq < %(seq)s AND %(seq)s <= last_seq
"""


@functools.lru_cache(maxsize=4096)
def _agent_read_query(schema: str) -> bytes:
    from psycopg import sql

    from apps.core import adb

    return sql.SQL(_AGENT_READ).format(interaction=adb.table(schema, Interaction._meta.db_table)).as_bytes()


async def amark_read_by_assignee(schema: str, interaction_id: int, user_id: int, seq: int) -> bool:
    """The assignee read the conversation up to `seq`: remember it (it only moves forward), so their
    inbox list counts only later customer messages as unread. One statement; False when nothing
    changed (not the assignee, an older seq, or a seq the conversation does not have yet)."""
    from apps.core import adb

    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return False
    params = {"iid": interaction_id, "user": user_id, "seq": seq}
    return await adb.execute(_agent_read_query(schema), params) > 0


def do_mark_read(interaction: Interaction, seq: int, *, by_customer: bool) -> None:
    schema = current_schema()
    send_event_on_commit(
        schema,
        {"type": "read", "interaction_id": interaction.pk, "seq": seq, "by": "customer" if by_customer else "agent"},
        [interaction_group(schema, interaction.pk)],
    )
