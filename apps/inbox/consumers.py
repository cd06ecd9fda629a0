"""The inbox's frames on the agent desktop socket (composed by desktop.consumers.DesktopConsumer):
open a conversation (and catch up from the last seq seen), reply, private notes, typing, read.

A desktop socket is in the groups of the conversations it has open (`interaction.open`) and of every
open conversation assigned to its user (`follow_assigned`, on connect and on `assignments.changed`),
so a customer's message reaches the assignee's inbox list (unread badge, preview) as the same one
event the widget gets, whether or not the conversation is on screen.

A socket joins a conversation's groups only after its user was found allowed to open it
(`check_can_work_on`): a refused `interaction.open` never joins anything, however often it is sent.
When the user's assignments change, the conversations open on screen are checked again and the ones
they may no longer open are left."""

from __future__ import annotations

from typing import Any

from apps.core.errors import ApplicationError
from apps.core.tenancy import in_tenant


def _valid_id(interaction_id: Any) -> bool:
    return isinstance(interaction_id, int) and not isinstance(interaction_id, bool)


def _current(user: Any) -> Any:
    """The socket's user as the database has them now: a socket's copy is as old as the socket, and a
    user deactivated or demoted meanwhile must not act with what they had (their socket is being
    closed; this holds even if the news is late)."""
    from django.utils.translation import gettext as _

    from apps.accounts.models import User

    fresh = User.objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        raise ApplicationError(_("You are signed out."), code="signed_out", status=401)
    return fresh


def _authorise_open(user: Any, interaction_id: Any) -> Any:
    """The conversation, if `user` may open it; NotFound / PermissionDenied otherwise."""
    from apps.core.errors import NotFound
    from apps.inbox.actions import check_can_work_on
    from apps.inbox.models import Interaction

    user = _current(user)
    interaction = Interaction.objects.filter(pk=interaction_id).first() if _valid_id(interaction_id) else None
    if interaction is None:
        raise NotFound("No such conversation.")
    check_can_work_on(user, interaction)
    return interaction


def _open_interaction(user: Any, interaction_id: Any, last_seq: Any) -> dict[str, Any]:
    from apps.inbox.actions import message_payload
    from apps.inbox.models import Message

    interaction = _authorise_open(user, interaction_id)
    after = last_seq if isinstance(last_seq, int) and last_seq >= 0 else 0
    messages = (
        Message.objects.filter(interaction=interaction, seq__gt=after)
        .select_related("author", "attachment")
        .order_by("seq")
    )
    return {
        "type": "interaction.history",
        "interaction_id": interaction.pk,
        "messages": [message_payload(m) for m in messages],
    }


def _followable(user: Any, opened: set[int]) -> tuple[list[int], set[int]]:
    """The user's open assigned conversations, and those of `opened` they may still open."""
    from apps.inbox.actions import check_can_work_on
    from apps.inbox.models import Interaction
    from apps.inbox.selectors import assigned_open_ids

    try:
        user = _current(user)
    except ApplicationError:
        return [], set()
    allowed = set()
    for interaction in Interaction.objects.filter(pk__in=opened):
        try:
            check_can_work_on(user, interaction)
        except ApplicationError:
            continue
        allowed.add(interaction.pk)
    return assigned_open_ids(user.pk), allowed


def _agent_send(user: Any, interaction_id: Any, body: Any, note: Any, client_id: Any) -> dict[str, Any]:
    from apps.core.errors import NotFound, ValidationFailed
    from apps.inbox.actions import do_agent_reply
    from apps.inbox.models import Interaction

    interaction = Interaction.objects.filter(pk=interaction_id).first() if isinstance(interaction_id, int) else None
    if interaction is None:
        raise NotFound("No such conversation.")
    if not isinstance(body, str):
        raise ValidationFailed("Write a message.", fields={"body": ["Must be text."]})
    message = do_agent_reply(
        interaction, _current(user), body, note=bool(note), client_id=client_id if isinstance(client_id, str) else ""
    )
    return {"type": "message.sent", "interaction_id": interaction.pk, "seq": message.seq}


def _groups(schema: str, interaction_id: int) -> tuple[str, str]:
    from apps.inbox.actions import agents_group, interaction_group

    return interaction_group(schema, interaction_id), agents_group(schema, interaction_id)


class InboxFrames:
    """Mixed into DesktopConsumer: the inbox streams of the agent desktop."""

    def _followed(self: Any) -> set[int]:
        """Conversations whose groups this socket is in: opened on screen or assigned."""
        return set(getattr(self, "opened_ids", ())) | set(getattr(self, "assigned_ids", ()))

    async def _follow(self: Any, before: set[int], after: set[int]) -> None:
        for interaction_id in sorted(after - before):
            for group in _groups(self.schema_name, interaction_id):
                await self.channel_layer.group_add(group, self.channel_name)
        for interaction_id in sorted(before - after):
            for group in _groups(self.schema_name, interaction_id):
                await self.channel_layer.group_discard(group, self.channel_name)

    def interaction_groups_joined(self: Any) -> list[str]:
        return [g for i in sorted(self._followed()) for g in _groups(self.schema_name, i)]

    async def follow_assigned(self: Any) -> None:
        """(Re)read the user's open assigned conversations and follow exactly those, plus the ones
        open on screen that the user may still open. Called on connect and when
        `assignments.changed` arrives."""
        before = self._followed()
        opened = set(getattr(self, "opened_ids", ()))
        assigned, allowed = await in_tenant(self.schema_name, _followable, self.user, opened)
        self.assigned_ids, self.opened_ids = set(assigned), allowed
        await self._follow(before, self._followed())

    async def on_interaction_open(self: Any, frame: dict[str, Any]) -> None:
        interaction_id = frame.get("interaction_id")
        try:
            # Authorise before joining any group: a refused socket must never hear the conversation.
            await in_tenant(self.schema_name, _authorise_open, self.user, interaction_id)
        except ApplicationError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
            return
        assert isinstance(interaction_id, int)  # _authorise_open refused anything else
        before = self._followed()
        # Join first, then read history: a message committed in between arrives twice at worst,
        # and the client drops a seq it already has; it can never be missed.
        await self._follow(before, before | {interaction_id})
        try:
            history = await in_tenant(
                self.schema_name, _open_interaction, self.user, interaction_id, frame.get("last_seq")
            )
        except ApplicationError as exc:  # reassigned in between: leave again
            await self._follow(before | {interaction_id}, before)
            await self.send_json({"type": "error", **exc.as_dict()})
            return
        self.opened_ids = set(getattr(self, "opened_ids", ())) | {interaction_id}
        await self.send_json(history)

    async def on_interaction_close(self: Any, frame: dict[str, Any]) -> None:
        interaction_id = frame.get("interaction_id")
        opened = set(getattr(self, "opened_ids", ()))
        if isinstance(interaction_id, int) and interaction_id in opened:
            before = self._followed()
            self.opened_ids = opened - {interaction_id}
            await self._follow(before, self._followed())  # still followed if assigned

    async def on_message_send(self: Any, frame: dict[str, Any]) -> None:
        from apps.inbox.actions import apost_message

        interaction_id = frame.get("interaction_id")
        try:
            if isinstance(interaction_id, int) and not isinstance(interaction_id, bool):
                # The hot path: one statement; None when the ORM path must decide and explain.
                posted = await apost_message(
                    self.schema_name,
                    interaction_id,
                    kind="note" if frame.get("note") else "agent",
                    body=frame.get("body"),
                    client_id=frame.get("client_id"),
                    author=self.user,
                )
                if posted is not None:
                    await self.send_json(
                        {"type": "message.sent", "interaction_id": interaction_id, "seq": posted["seq"]}
                    )
                    return
            reply = await in_tenant(
                self.schema_name,
                _agent_send,
                self.user,
                frame.get("interaction_id"),
                frame.get("body"),
                frame.get("note"),
                frame.get("client_id"),
            )
        except ApplicationError as exc:
            await self.send_json({"type": "error", "client_id": frame.get("client_id"), **exc.as_dict()})
            return
        await self.send_json(reply)

    async def on_typing(self: Any, frame: dict[str, Any]) -> None:
        from apps.inbox.actions import interaction_group

        interaction_id = frame.get("interaction_id")
        group = interaction_group(self.schema_name, interaction_id) if isinstance(interaction_id, int) else None
        if group and interaction_id in self._followed():
            from apps.core.events import asend_events

            event = {
                "type": "typing",
                "by": "agent",
                "interaction_id": interaction_id,
                "active": bool(frame.get("active")),
                "name": self.user.display_name,
            }
            await asend_events(self.schema_name, [(event, [group])])

    async def on_read(self: Any, frame: dict[str, Any]) -> None:
        from apps.inbox.actions import interaction_group

        interaction_id, seq = frame.get("interaction_id"), frame.get("seq")
        group = interaction_group(self.schema_name, interaction_id) if isinstance(interaction_id, int) else None
        if group and interaction_id in self._followed() and isinstance(seq, int):
            from apps.inbox.actions import amark_read_by_assignee

            assert isinstance(interaction_id, int)  # the group exists only for an int id
            await amark_read_by_assignee(self.schema_name, interaction_id, self.user.pk, seq)
            from apps.core.events import asend_events

            event = {"type": "read", "by": "agent", "interaction_id": interaction_id, "seq": seq}
            await asend_events(self.schema_name, [(event, [group])])
