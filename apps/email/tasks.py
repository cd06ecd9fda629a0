"""Email's background work, on its own queue ("email": the Procfile's worker takes it): a received
mail stored by the receiver is read, threaded and routed; replies and acknowledgements are sent,
retried with backoff while the server cannot take them (the agent sees it when it gives up)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import redis
from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction

from apps.routing.actions import QueueClosed, QueueFull, RoutingSuspended

logger = logging.getLogger(__name__)

TRANSIENT_DB = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)


def on_message_posted(interaction_id: int, message_id: int, channel: str) -> None:
    """inbox's `message_posted` hook: an agent's reply on an email conversation is sent as mail."""
    if channel == "email":
        send_reply.delay(message_id)


class Retry(Exception):
    """Routing could not take it now (the queue is full, routing is suspended): the mail waits."""


@shared_task(
    name="email.receive",
    autoretry_for=(*TRANSIENT_DB, Retry),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=50,
    acks_late=True,
)
def receive(path: str, local_parts: list[str]) -> dict[str, object]:
    """A mail the receiver stored at `path` (in this tenant's folder): threaded, stored and routed once;
    the file is removed when it is in the inbox (kept while routing cannot take it)."""
    from .actions import do_receive_email

    if not default_storage.exists(path):
        return {"gone": path}
    with default_storage.open(path, "rb") as handle:
        raw = handle.read()
    try:
        received = do_receive_email(raw, local_parts)
    except (QueueClosed, QueueFull, RoutingSuspended) as exc:
        raise Retry(exc.message) from exc
    if received.acknowledge and received.email is not None:
        email_id, closed = received.email.pk, received.closed
        transaction.on_commit(lambda: send_acknowledgement.delay(email_id, closed))
    default_storage.delete(path)
    return {
        "duplicate": received.duplicate,
        "interaction": received.interaction.pk if received.interaction else None,
        "opened": received.opened,
    }


@shared_task(name="email.send_reply", bind=True, max_retries=8, acks_late=True, autoretry_for=TRANSIENT_DB)
def send_reply(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    from .outbound import Transient
    from .outbound import send_reply as send

    try:
        return send(message_id)
    except Transient as exc:
        if self.request.retries >= self.max_retries:
            return _give_up_reply(message_id, str(exc))
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(name="email.send_acknowledgement", bind=True, max_retries=5, acks_late=True, autoretry_for=TRANSIENT_DB)
def send_acknowledgement(self, email_id: int, out_of_hours: bool = False) -> str:  # type: ignore[no-untyped-def]
    from .outbound import Transient
    from .outbound import send_acknowledgement as send

    try:
        return send(email_id, out_of_hours=out_of_hours)
    except Transient as exc:
        if self.request.retries >= self.max_retries:
            return "given up"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(name="email.send_forward", bind=True, max_retries=8, acks_late=True, autoretry_for=TRANSIENT_DB)
def send_forward(self, forward_id: int, original_id: int, note: str) -> str:  # type: ignore[no-untyped-def]
    from .models import Email
    from .outbound import Transient, _failed
    from .outbound import send_forward as send

    try:
        return send(forward_id, original_id, note)
    except Transient as exc:
        if self.request.retries >= self.max_retries:
            forward = Email.objects.filter(pk=forward_id).first()
            if forward is not None:
                _failed(forward, str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


def _give_up_reply(message_id: int, why: str) -> str:
    from .models import Email
    from .outbound import _failed

    email = Email.objects.filter(message_id=message_id, direction=Email.Direction.OUT).first()
    if email is not None:
        _failed(email, why)
    return "failed"


def spool(raw: bytes, local_parts: list[str]) -> str:
    """Keep a mail for the current tenant (the SMTP receiver, IMAP, a provider's webhook) and queue its
    reading by `email.receive`, the one receiving code; the path kept."""
    from django.db import connection

    schema = str(getattr(connection, "schema_name", "public"))
    path = default_storage.save(f"{schema}/mail/in/{uuid.uuid4().hex}.eml", ContentFile(raw))
    receive.delay(path, local_parts)
    return path


def look_now(account_id: int, *, include_existing: bool = False, wait: bool = False) -> Any:
    """One look at an IMAP account now (beat's task, IDLE's watcher, the settings page's "Check now")."""
    from .imap import poll

    return poll(account_id, keep=spool, include_existing=include_existing, wait=wait)


@shared_task(name="email.poll_imap")
def poll_imap() -> dict[str, int]:
    """Beat (every IMAP_POLL_SECONDS): a look at every connected IMAP mailbox of every tenant, each its
    own task (one slow server never holds up the others)."""
    from django_tenants.utils import schema_context

    from apps.tenants.selectors import customer_schemas

    from .imap import due_accounts

    queued: dict[str, int] = {}
    for schema in customer_schemas():
        try:
            with schema_context(schema):
                accounts = due_accounts()
                for account_id in accounts:
                    poll_imap_account.delay(account_id)
        except Exception:
            logger.exception("Could not list the IMAP accounts of %s", schema)
            continue
        if accounts:
            queued[schema] = len(accounts)
    return queued


@shared_task(name="email.poll_imap_account", acks_late=True, autoretry_for=TRANSIENT_DB, max_retries=3)
def poll_imap_account(account_id: int, include_existing: bool = False) -> dict[str, object]:
    looked = look_now(account_id, include_existing=include_existing)
    return {"ok": looked.ok, "fetched": looked.fetched, "error": looked.error, "busy": looked.busy}
