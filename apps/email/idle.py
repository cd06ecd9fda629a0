"""IMAP IDLE in the `mail` process: for every connected IMAP mailbox whose server has IDLE, a thread
keeps a connection idling on its folder and looks for new mail (apps/email/imap.py's `poll`, the same
look beat makes every IMAP_POLL_SECONDS) as soon as the server says a mail arrived. The accounts are
read again every IMAP_IDLE_REFRESH_SECONDS: a new, changed or removed one is started, restarted or
stopped. IDLE is renewed every 25 minutes (servers drop it at 30); a dropped connection is retried
with backoff, and meanwhile beat's polling still brings the mail in."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context

from .imap import _close, connect, select
from .models import ImapAccount
from .tasks import look_now

logger = logging.getLogger(__name__)

RENEW_SECONDS = 25 * 60
CHECK_SECONDS = 5.0


def _poll(schema: str, account_id: int) -> None:
    with schema_context(schema):
        looked = look_now(account_id)
    if looked.fetched:
        logger.info("IMAP %s/%s: %d new mail(s)", schema, account_id, looked.fetched)


def _watch(schema: str, account_id: int, stop: threading.Event) -> None:
    backoff = 5.0
    try:
        while not stop.is_set():
            client: Any = None
            try:
                with schema_context(schema):
                    account = ImapAccount.objects.select_related("mailbox").get(pk=account_id)
                    client = connect(account)
                    select(client, account)
                _poll(schema, account_id)  # what came while nobody was idling
                backoff = 5.0
                client.idle()
                started = time.monotonic()
                while not stop.is_set() and time.monotonic() - started < RENEW_SECONDS:
                    said = client.idle_check(timeout=CHECK_SECONDS)
                    if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in said):
                        client.idle_done()
                        _poll(schema, account_id)
                        client.idle()
                client.idle_done()
            except ImapAccount.DoesNotExist:
                return
            except Exception as exc:  # a watcher outlives any one failure
                logger.warning("IMAP IDLE %s/%s: %s (again in %.0f s)", schema, account_id, exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 300.0)
            finally:
                if client is not None:
                    _close(client)
    finally:
        connection.close()


class IdleWatcher:
    """The threads, one per account with IDLE; `run` until `stop` is set."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self.stop = threading.Event()
        self.watching: dict[tuple[str, int], tuple[tuple[Any, ...], threading.Event, threading.Thread]] = {}

    def wanted(self) -> dict[tuple[str, int], tuple[Any, ...]]:
        from apps.tenants.selectors import customer_schemas

        found: dict[tuple[str, int], tuple[Any, ...]] = {}
        for schema in customer_schemas():
            with schema_context(schema):
                for a in ImapAccount.objects.filter(enabled=True, supports_idle=True):
                    found[(schema, a.pk)] = (a.host, a.port, a.security, a.username, a.password_encrypted, a.folder)
        return found

    def refresh(self) -> None:
        try:
            wanted = self.wanted()
        except Exception:  # the database may be away for a moment
            logger.exception("Could not read the IMAP accounts")
            return
        for key, (shape, stop, _thread) in list(self.watching.items()):
            if wanted.get(key) != shape:
                stop.set()
                del self.watching[key]
        for key, shape in wanted.items():
            if key not in self.watching:
                stop = threading.Event()
                thread = threading.Thread(target=_watch, args=(*key, stop), name=f"imap-idle-{key[0]}-{key[1]}")
                thread.daemon = True
                thread.start()
                self.watching[key] = (shape, stop, thread)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.refresh()
                self.stop.wait(self.refresh_seconds)
        finally:
            for _shape, stop, _thread in self.watching.values():
                stop.set()
            connection.close()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="imap-idle", daemon=True)
        thread.start()
        return thread
