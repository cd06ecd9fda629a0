"""The chat hot path: a text message to an open conversation and the assignee's read position, each
one schema-qualified statement in autocommit on the event loop (apps/core/adb.py). What they
cannot decide falls back to the ORM actions in `messages`, which explain."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from apps.accounts.models import User

from ..models import Interaction, Message
from .messages import agents_group, check_message_body, interaction_group

logger = logging.getLogger(__name__)

# The channels whose messages are only stored and relayed (the others' apps deliver them too: an email
# reply is sent as mail, through the ORM path and its `message_posted` hook).
HOT_CHANNELS = ["chat", "voice", "video"]
# User.is_manager's roles: they may write to any open conversation.
MANAGER_ROLES = [User.Role.OWNER.value, User.Role.ADMIN.value, User.Role.SUPERVISOR.value]

# The hot path of `do_post_message` for a text message to an open conversation, one statement in
# autocommit on the event loop (apps/core/adb.py). The CTE bumps the conversation's seq only if it is
# open (and, for an agent, theirs or the agent is a manager), inserts the message with that seq, and
# returns what the events need. No row: the fast path does not apply and the caller runs the ORM
# path, which decides and explains (a new conversation, a resolved one, a forbidden one). The agent's
# role and activity are read here, in the same statement, not from the socket's copy of the user: a
# user deactivated or demoted while their socket is open writes nothing (one primary-key lookup).
_HOT_POST = """
WITH i AS (
    UPDATE {interaction} SET last_seq = last_seq + 1,
        first_response_at = CASE WHEN %(kind)s = 'agent' THEN coalesce(first_response_at, now())
                                 ELSE first_response_at END
    WHERE id = %(iid)s AND status <> 'resolved' AND channel = ANY(%(hot_channels)s) AND (
        %(customer)s OR EXISTS (
            SELECT 1 FROM {user} u WHERE u.id = %(author)s AND u.is_active
            AND (u.role = ANY(%(manager_roles)s) OR {interaction}.assignee_id = u.id)
        )
    )
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
            interaction=adb.table(schema, Interaction._meta.db_table),
            message=adb.table(schema, Message._meta.db_table),
            user=adb.table(schema, User._meta.db_table),
        )
        .as_bytes()
    )


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
        "customer": author is None,
        "manager_roles": MANAGER_ROLES,
        "hot_channels": HOT_CHANNELS,
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
    if kind != Message.Kind.NOTE:
        _message_created_soon(schema, interaction_id, seq)
    return payload


_soon: set[asyncio.Task[Any]] = set()  # held until done (the loop keeps only weak references)


def _message_created_soon(schema: str, interaction_id: int, seq: int) -> None:
    """The `domain_event` hook's `message.created`, as `do_post_message` runs it after commit, on the
    ORM threads inside the tenant: the sender's answer does not wait for it."""
    from apps.core.hooks import run_hooks
    from apps.core.tenancy import in_tenant

    async def run() -> None:
        try:
            payload = {"interaction_id": interaction_id, "seq": seq}
            await in_tenant(schema, run_hooks, "domain_event", event="message.created", payload=payload)
        except Exception:
            logger.exception("message.created for %s#%s failed", interaction_id, seq)

    task = asyncio.ensure_future(run())
    _soon.add(task)
    task.add_done_callback(_soon.discard)


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
