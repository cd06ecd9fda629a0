"""Mail from the tenant's own mailbox over IMAP (imapclient), into the same receiving code as the
built-in SMTP receiver: each new mail is kept in the tenant's spool folder and `email.receive` reads,
threads and routes it.

New mail is found by UID: the account remembers the folder's UIDVALIDITY and the last UID brought in.
Each mail is spooled and queued *before* the last UID moves past it, and the UID is saved in the same
transaction that holds the account's row (one look at a time per account), so a crash mid-way fetches
the rest again next time and never skips one; a mail fetched twice is recognised by the receiving code
(same Message-ID, same body) and stored once. Mail is read with BODY.PEEK: it stays unread on the
server. A changed UIDVALIDITY (the folder was rebuilt) reads the folder from the start, again without
doubles. The first look starts after the mail already there, unless the account asks for it.

Errors (the password refused, the server unreachable, no such folder) are kept on the account and shown
on the settings page; the next look tries again."""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from .models import ImapAccount
from .secrets import unseal

logger = logging.getLogger(__name__)

BATCH = 25


@dataclass
class Looked:
    ok: bool
    fetched: int = 0
    error: str = ""
    busy: bool = False


class ImapFailed(Exception):
    pass


def connect(account: ImapAccount) -> IMAPClient:
    """Connected and signed in (TLS checked against the system's certificates)."""
    timeout = settings.IMAP_TIMEOUT_SECONDS
    context = ssl.create_default_context()
    if settings.IMAP_CA_FILE:  # a private CA trusted besides the system's (a closed network, the tests)
        context.load_verify_locations(settings.IMAP_CA_FILE)
    try:
        client = IMAPClient(
            account.host,
            port=account.port,
            ssl=account.security == ImapAccount.Security.SSL,
            ssl_context=context,
            timeout=timeout,
        )
    except ssl.SSLError as exc:
        raise ImapFailed(
            _("The secure connection to %(host)s failed: %(why)s") % {"host": account.host, "why": exc}
        ) from exc
    except OSError as exc:
        raise ImapFailed(
            _("Could not reach %(host)s on port %(port)d: %(why)s")
            % {"host": account.host, "port": account.port, "why": exc.strerror or exc}
        ) from exc
    try:
        if account.security == ImapAccount.Security.STARTTLS:
            client.starttls(context)
        client.login(account.username, unseal(account.password_encrypted))
    except LoginError as exc:
        _close(client)
        raise ImapFailed(_("The server refused the user name or password.")) from exc
    except ssl.SSLError as exc:
        _close(client)
        raise ImapFailed(
            _("The secure connection to %(host)s failed: %(why)s") % {"host": account.host, "why": exc}
        ) from exc
    except (IMAPClientError, OSError) as exc:
        _close(client)
        raise ImapFailed(_("The server did not let us sign in: %(why)s") % {"why": exc}) from exc
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # it is going away either way
        with contextlib.suppress(Exception):
            client.shutdown()


def select(client: IMAPClient, account: ImapAccount) -> int:
    """The folder opened read-only; its UIDVALIDITY."""
    try:
        info: dict[bytes, Any] = client.select_folder(account.folder, readonly=True)
    except IMAPClientError as exc:
        raise ImapFailed(_("The server has no folder “%(folder)s”.") % {"folder": account.folder}) from exc
    return int(info.get(b"UIDVALIDITY", 0))


Keep = Callable[[bytes, list[str]], object]


def poll(account_id: int, *, keep: Keep, include_existing: bool = False, wait: bool = False) -> Looked:
    """One look at the account's folder: every mail after the last UID brought in, each handed to `keep`
    (tasks.spool: kept and queued for `email.receive`). While another look is under way: `busy`, or
    with `wait` (a person pressed "Check now") this one waits for it and looks after it."""
    with transaction.atomic():
        rows = ImapAccount.objects.select_related("mailbox")
        account = rows.select_for_update(skip_locked=not wait, of=("self",)).filter(pk=account_id).first()
        if account is None:
            return Looked(ok=False, busy=True)
        try:
            fetched = _fetch_new(account, keep, include_existing=include_existing)
        except ImapFailed as exc:
            account.last_error, account.error_at = str(exc)[:2000], timezone.now()
            account.checked_at = timezone.now()
            account.save(
                update_fields=[
                    "last_error",
                    "error_at",
                    "checked_at",
                    "uidvalidity",
                    "last_uid",
                    "fetched",
                    "left_behind",
                ]
            )
            return Looked(ok=False, fetched=0, error=account.last_error)
        account.last_error, account.checked_at = "", timezone.now()
        account.save(
            update_fields=[
                "last_error",
                "checked_at",
                "uidvalidity",
                "last_uid",
                "fetched",
                "supports_idle",
                "left_behind",
            ]
        )
        return Looked(ok=True, fetched=fetched)


def _fetch_new(account: ImapAccount, keep: Keep, *, include_existing: bool) -> int:
    client = connect(account)
    fetched = 0
    try:
        account.supports_idle = client.has_capability("IDLE")
        validity = select(client, account)
        if account.uidvalidity != validity:
            first_look = account.uidvalidity is None
            account.uidvalidity, account.last_uid = validity, 0
            if first_look and not include_existing:
                found = client.search(["ALL"])
                account.last_uid = max(found, default=0)
                return 0
        try:
            found = client.search(["UID", f"{account.last_uid + 1}:*"])
        except (IMAPClientError, OSError) as exc:
            raise ImapFailed(_("The server did not answer a search: %(why)s") % {"why": exc}) from exc
        uids = sorted(u for u in found if u > account.last_uid)
        limit = settings.MAX_INBOUND_EMAIL_BYTES
        local_parts = [account.mailbox.local_part]
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            try:
                sizes = client.fetch(batch, ["RFC822.SIZE"])
                wanted = [u for u in batch if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= limit]
                bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
            except (IMAPClientError, OSError) as exc:
                raise ImapFailed(_("The server stopped answering: %(why)s") % {"why": exc}) from exc
            for uid in batch:
                raw = bodies.get(uid, {}).get(b"BODY[]")
                if raw is None:
                    size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
                    logger.warning("IMAP %s: UID %s left (%d bytes, over %d or gone)", account.pk, uid, size, limit)
                    if size > limit:
                        account.left_behind = _(
                            "A mail of %(size).1f MB is over the limit of %(limit).1f MB: it was left in the "
                            "folder (%(when)s)."
                        ) % {"size": size / 1e6, "limit": limit / 1e6, "when": f"{timezone.now():%Y-%m-%d %H:%M %Z}"}
                else:
                    keep(bytes(raw), local_parts)  # kept and queued before the UID moves past it
                    fetched += 1
                account.last_uid = uid
            account.fetched += len(wanted)
        return fetched
    finally:
        _close(client)


def due_accounts() -> list[int]:
    return list(ImapAccount.objects.filter(enabled=True).values_list("pk", flat=True))
