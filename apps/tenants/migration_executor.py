"""`migrate_schemas` skips tenant schemas that already have every migration.

django-tenants runs Django's whole `migrate` command in every schema, also when there is nothing
to apply: it loads the graph, runs the system checks and sends `post_migrate` (content types and
permissions compared model by model). That made a no-op `migrate_schemas` cost ~0.2 s of a quiet
machine per schema (153 schemas: 31 s; measured again under load in docs/scaling.md), so a deploy
would wait minutes at 1,000 tenants and hours at 100,000. A schema whose `django_migrations` already
holds every migration of the code is skipped after one query that reads those rows.

Wired through django-tenants' `GET_EXECUTOR_FUNCTION` setting: the executor chosen with
`--executor` / TENANT_MIGRATION_EXECUTOR, with the skip in front. `migrate_schemas --every-schema`
runs `migrate` in every schema as before (e.g. to re-create deleted content types)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as tenants_get_executor
from django_tenants.utils import get_public_schema_name


def code_migrations() -> dict[tuple[str, str], frozenset[tuple[str, str]]]:
    """Every migration of the code (squashed ones with the migrations they replace)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {key: frozenset(graph.nodes[key].replaces or ()) for key in graph.nodes}


def applied_migrations(schema_name: str) -> set[tuple[str, str]] | None:
    """The migrations recorded in `schema_name`, or None when it has no `django_migrations` table."""
    quoted = connection.ops.quote_name(schema_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{quoted}.django_migrations"])
        row = cursor.fetchone()
        if not row or row[0] is None:
            return None
        cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations")
        return {(app, name) for app, name in cursor.fetchall()}


def is_current(schema_name: str, code: dict[tuple[str, str], frozenset[tuple[str, str]]]) -> bool:
    applied = applied_migrations(schema_name)
    if applied is None:
        return False
    return all(key in applied or (replaces and replaces <= applied) for key, replaces in code.items())


def schemas_to_migrate(schemas: list[str]) -> tuple[list[str], int]:
    """The schemas among `schemas` that lack a migration of the code, and how many were skipped."""
    code = code_migrations()
    pending = [name for name in schemas if not is_current(name, code)]
    return pending, len(schemas) - len(pending)


@cache
def _skipping(base: type) -> type:
    class SkippingExecutor(base):  # type: ignore[valid-type,misc]
        def run_migrations(self, tenants: Any = None) -> None:
            schemas = list(tenants or [])
            public = get_public_schema_name()
            if self.options.get("every_schema") or schemas == [public]:
                super().run_migrations(tenants=schemas)
                return
            with_public = public in schemas
            pending, skipped = schemas_to_migrate([s for s in schemas if s != public])
            if skipped and int(self.options.get("verbosity", 1)) >= 1:
                print(
                    f"{skipped} of {len(schemas) - with_public} tenant schemas already have every migration: skipped."
                )
            super().run_migrations(tenants=([public] if with_public else []) + pending)

    SkippingExecutor.__name__ = f"Skipping{base.__name__}"
    return SkippingExecutor


def get_executor(codename: str | None = None) -> type:
    """django-tenants' executor `codename`, skipping schemas that are current."""
    return _skipping(tenants_get_executor(codename))
