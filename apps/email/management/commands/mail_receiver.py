"""`manage.py mail_receiver`: the built-in SMTP receiver (apps/email/receiver.py) and the IMAP IDLE
watcher (apps/email/idle.py; `--no-idle` or IMAP_IDLE_REFRESH_SECONDS=0 leaves it out), until stopped."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Receive mail for the tenants' addresses over SMTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.INBOUND_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_SMTP_PORT)
        parser.add_argument("--no-idle", action="store_true", help="Do not watch IMAP mailboxes with IDLE.")

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.email.receiver import serve

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        controller = serve(options["host"], options["port"])
        watcher = None
        if settings.IMAP_IDLE_REFRESH_SECONDS > 0 and not options["no_idle"]:
            from apps.email.idle import IdleWatcher

            watcher = IdleWatcher(settings.IMAP_IDLE_REFRESH_SECONDS)
            watcher.start()
        self.stdout.write(
            f"Receiving mail for *@<tenant>.{settings.INBOUND_EMAIL_DOMAIN} on {options['host']}:{options['port']}"
        )
        self.stdout.flush()
        stop.wait()
        if watcher is not None:
            watcher.stop.set()
        controller.stop()
