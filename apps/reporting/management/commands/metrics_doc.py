"""`manage.py metrics_doc > docs/metrics.md`: the metrics dictionary as Markdown."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.reporting.metrics import markdown


class Command(BaseCommand):
    help = "Print the metrics dictionary as Markdown (docs/metrics.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown(), ending="")
