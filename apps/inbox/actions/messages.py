"""Messages of a conversation through the ORM: numbering, posting (any kind, with attachments),
attachment checks, canned responses, read receipts. Events go out after commit to the
conversation's group (the widget, the agents viewing it, the assignee's desktops)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.hooks import domain_event_on_commit, run_hooks
from apps.core.tenancy import current_schema

from ..models import Attachment, Interaction, Message

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


def interaction_group(schema: str, interaction_id: int) -> str:
    from apps.routing.actions import interaction_group as group

    return group(schema, interaction_id)


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


def _next_seq(interaction_id: int, kind: str) -> int:
    """The message's number; an agent's first reply to the customer is the interaction's first response."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inbox_interaction SET last_seq = last_seq + 1, first_response_at = CASE WHEN %s = 'agent' "
            "THEN coalesce(first_response_at, now()) ELSE first_response_at END WHERE id = %s RETURNING last_seq",
            [kind, interaction_id],
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
            seq=_next_seq(interaction.pk, kind),
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
        if kind == Message.Kind.AGENT:
            # The channel's app delivers it (email sends the mail): after commit, never a rolled-back reply.
            posted = {"interaction_id": interaction.pk, "message_id": message.pk, "channel": interaction.channel}
            transaction.on_commit(lambda: run_hooks("message_posted", **posted))
        if kind in {Message.Kind.CUSTOMER, Message.Kind.AGENT}:
            domain_event_on_commit("message.created", interaction_id=interaction.pk, seq=message.seq)
    return message


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


def do_mark_read(interaction: Interaction, seq: int, *, by_customer: bool) -> None:
    schema = current_schema()
    send_event_on_commit(
        schema,
        {"type": "read", "interaction_id": interaction.pk, "seq": seq, "by": "customer" if by_customer else "agent"},
        [interaction_group(schema, interaction.pk)],
    )
