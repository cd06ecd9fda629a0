"""Create the demo tenant `demo` with an owner and two agents. Safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.tenants.actions import create_tenant_with_owner
from apps.tenants.models import Tenant

PASSWORD = "demo-password-1"


class Command(BaseCommand):
    help = "Create (or keep) the demo tenant with its owner and two agents."

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(subdomain="demo").first()
        if tenant is None:
            result = create_tenant_with_owner(
                company_name="Demo Company",
                subdomain="demo",
                email="owner@demo.test",
                password=PASSWORD,
                full_name="Olivia Owner",
            )
            tenant = result.tenant
            self.stdout.write("Created the demo tenant.")
        with schema_context(tenant.schema_name):
            for n, name in ((1, "Alex Agent"), (2, "Bea Agent")):
                email = f"agent{n}@demo.test"
                if not User.objects.filter(email=email).exists():
                    User.objects.create_user(email=email, password=PASSWORD, full_name=name, role=User.Role.AGENT)
