"""Print the declared realtime events as a Markdown table (for docs/architecture.md)."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.events import event_table


class Command(BaseCommand):
    help = "Print every declared realtime event (type, app, payload) as a Markdown table."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(event_table())
