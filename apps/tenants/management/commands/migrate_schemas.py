"""`migrate_schemas`, plus: the template schema that new tenants are cloned from exists and is
migrated. Creating it the first time runs every migration once; after that it is an ordinary tenant
row, so every later `migrate_schemas` migrates it with the rest."""

from typing import Any

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options.get("schema_name") or options.get("fake"):
            return  # a single-schema run (e.g. inside tenant creation) leaves the template alone
        from apps.tenants.actions import ensure_public_tenant, ensure_template_schema

        if ensure_public_tenant():
            self.stdout.write("Created the public tenant.")
        if ensure_template_schema(verbosity=options.get("verbosity", 1)):
            self.stdout.write("Created the tenant template schema.")
