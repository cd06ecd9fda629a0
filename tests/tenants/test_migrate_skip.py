"""A deploy's `migrate_schemas` skips the tenant schemas that already have every migration (it ran
Django's whole migrate in each one: ~0.2 s a schema on a quiet machine, minutes at a thousand
tenants), and still migrates a schema that lacks one; `--every-schema` runs them all."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from django.db import connection

from apps.tenants.migration_executor import schemas_to_migrate
from apps.tenants.models import Tenant
from tests.conftest import create_tenant


def _migrate(*args: str) -> str:
    out = io.StringIO()
    call_command("migrate_schemas", "--noinput", *args, stdout=out)
    return out.getvalue()


def _tenant_schemas() -> list[str]:
    return list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))


def test_current_schemas_are_skipped_and_a_schema_behind_is_migrated(capsys) -> None:  # type: ignore[no-untyped-def]
    behind = create_tenant("mig").schema_name
    create_tenant("mig")
    schemas = _tenant_schemas()
    assert schemas_to_migrate(schemas) == ([], len(schemas))

    _migrate()
    printed = capsys.readouterr().out
    match = re.search(r"(\d+) of (\d+) tenant schemas already have every migration: skipped", printed)
    assert match, printed
    assert match.group(1) == match.group(2) == str(len(schemas))

    # One schema misses the record of its last inbox migration, as one that a deploy must bring up to
    # date: it alone is migrated (the record comes back), the others are still skipped.
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT name FROM "{behind}".django_migrations WHERE app = %s ORDER BY name DESC LIMIT 1', ["widget"]
        )
        last = cursor.fetchone()[0]
        cursor.execute(f'DELETE FROM "{behind}".django_migrations WHERE app = %s AND name = %s', ["widget", last])
    pending, skipped = schemas_to_migrate(schemas)
    assert pending == [behind] and skipped == len(schemas) - 1

    _migrate("--fake")  # the tables are there: record the migration without running it again
    printed = capsys.readouterr().out
    assert f"{len(schemas) - 1} of {len(schemas)} tenant schemas already have every migration" in printed
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{behind}".django_migrations WHERE app = %s AND name = %s', ["widget", last])
        assert cursor.fetchone() is not None
    assert schemas_to_migrate(schemas) == ([], len(schemas))

    # `--every-schema` runs Django's migrate in a schema that is current (here one schema, named, as a
    # deploy may: every schema of the test database would take minutes); without it, it is skipped.
    _migrate("--schema", behind)
    printed = capsys.readouterr().out
    assert "1 of 1 tenant schemas already have every migration: skipped." in printed
    assert f"{behind}] === Starting migration" not in printed
    _migrate("--every-schema", "--schema", behind)
    printed = capsys.readouterr().out
    assert "already have every migration" not in printed
    assert f"{behind}] === Starting migration" in printed
