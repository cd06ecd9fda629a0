"""The built-in SMTP receiver (the Procfile's `mail`): accepts mail for `<anything>@<subdomain>.
<INBOUND_EMAIL_DOMAIN>` of an existing tenant, refuses every other recipient at RCPT (never a bounce
sent later to a forged sender), refuses a mail over the size limit at DATA with the limit in the
answer, stores each accepted mail in its tenant's folder and queues its reading (`email.receive`):
the sender hears 250 only once the mail is safely kept."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django_tenants.utils import schema_context

from .addresses import subdomain_of

logger = logging.getLogger(__name__)


def _schema_of(subdomain: str) -> str | None:
    from apps.tenants.models import Tenant

    return Tenant.objects.filter(subdomain=subdomain).values_list("schema_name", flat=True).first()


def keep(raw: bytes, recipients: list[str]) -> list[str]:
    """Store the mail once per tenant it is for and queue its reading; the paths stored."""
    by_schema: dict[str, list[str]] = {}
    for address in recipients:
        sub = subdomain_of(address)
        schema = _schema_of(sub) if sub else None
        if schema:
            by_schema.setdefault(schema, []).append(address.rpartition("@")[0].lower())
    from .tasks import spool

    paths = []
    for schema, locals_ in by_schema.items():
        with schema_context(schema):
            paths.append(spool(raw, locals_))
    return paths


class Handler:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        sub = subdomain_of(address)
        schema = await sync_to_async(_schema_of)(sub) if sub else None
        if schema is None:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await sync_to_async(keep)(bytes(raw), list(envelope.rcpt_tos))
        except Exception:
            logger.exception("Could not keep a mail for %s", envelope.rcpt_tos)
            return "451 4.3.0 Could not store the message now, try again later"
        return "250 2.0.0 Message accepted"


def serve(host: str, port: int) -> Any:
    from aiosmtpd.controller import Controller

    limit = settings.MAX_INBOUND_EMAIL_BYTES
    controller = Controller(
        Handler(), hostname=host, port=port, data_size_limit=limit, server_hostname=settings.INBOUND_EMAIL_DOMAIN
    )
    controller.start()
    return controller
