"""`manage.py rebuild_reports [--schema S] [--since DATE] [--until DATE]`: recompute the roll-up from
the interaction record (every tenant unless --schema), a day at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date
from django_tenants.utils import schema_context

from apps.reporting.actions import do_rebuild
from apps.tenants.selectors import customer_schemas


def _day(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    day = parse_date(raw)
    if day is None:
        raise CommandError(f"--{name}: a date, YYYY-MM-DD")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Command(BaseCommand):
    help = "Recompute the reporting roll-up from the interaction record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", help="one tenant's schema (default: every tenant)")
        parser.add_argument("--since", help="first UTC day to recompute (default: the record's first)")
        parser.add_argument("--until", help="UTC day to stop before (default: after the record's last)")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = _day(options["since"], "since"), _day(options["until"], "until")
        schemas = customer_schemas()
        if options["schema"]:
            if options["schema"] not in schemas:
                raise CommandError(f"No tenant with schema {options['schema']}")
            schemas = [options["schema"]]
        for schema in schemas:
            with schema_context(schema):
                rows = do_rebuild(since=since, until=until)
            self.stdout.write(f"{schema}: {rows} rows")
