"""`migrate_schemas`, plus: the template schema that new tenants are cloned from exists and is
migrated. Creating it the first time runs every migration once; after that it is an ordinary tenant
row, so every later `migrate_schemas` migrates it with the rest. Then the spare schemas (clones of the
template waiting for sign-ups) are dropped and cloned again from the migrated template."""

from typing import Any

from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name, schema_context


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--every-schema",
            action="store_true",
            help="Run migrate in every tenant schema, also those that already have every migration "
            "(which are skipped otherwise: apps/tenants/migration_executor.py).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        from apps.tenants.actions import (
            do_refill_spare_schemas,
            drop_spare_schemas,
            ensure_public_tenant,
            ensure_template_schema,
        )
        from apps.tenants.models import TEMPLATE_SCHEMA

        schema_name = options.get("schema_name")
        if options.get("fake") or (schema_name and schema_name != TEMPLATE_SCHEMA):
            return  # a single tenant's run leaves the template and the spares alone
        if connection.in_atomic_block:
            return  # django-tenants creating the template in ensure_template_schema: the outer run follows
        if not schema_name:
            if ensure_public_tenant():
                self.stdout.write("Created the public tenant.")
            if ensure_template_schema(verbosity=options.get("verbosity", 1)):
                self.stdout.write("Created the tenant template schema.")
        # The spares were cloned from the template as it was before this run. Drop them and clone
        # new ones rather than migrate them: they are not tenant rows, so django-tenants' migrate
        # never sees them; re-cloning a few spares costs a second or two per run; a clone of
        # the just-migrated template equals it by construction, whatever the migrations do (data
        # migrations, post_migrate rows), where a migrated spare is only as equal as they are
        # deterministic; and a dropped spare cannot be left half-migrated by a failed run (this
        # point is reached only when every migration succeeded). Spares cloned while this run was
        # migrating the template, or by old code during a deploy, are caught by sign-up itself: it
        # takes only a spare whose migration fingerprint is the template's.
        with schema_context(get_public_schema_name()):
            dropped = drop_spare_schemas()
            made = do_refill_spare_schemas()
        if (dropped or made) and options.get("verbosity", 1) >= 1:
            self.stdout.write(f"Spare tenant schemas: dropped {dropped}, cloned {made}.")
