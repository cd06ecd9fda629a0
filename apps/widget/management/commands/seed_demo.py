"""Create the demo tenant `demo` with an owner and two agents. Safe to run again.

It lives in the widget app, beside the demo shop (widget/demo.py): the widget is the highest app it
fills, so no lower app has to import the others (it used to live in tenants)."""

import os
from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.agents.actions import do_set_skills, ensure_agent_profile
from apps.agents.models import ReasonCode, Skill
from apps.inbox.models import CannedResponse, Disposition
from apps.routing.models import Queue, RoutingStep
from apps.tenants.actions import create_tenant_with_owner
from apps.tenants.models import Tenant
from apps.widget.models import WidgetKey

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
            agents = []
            for n, name, skills, langs in (
                (1, "Alex Agent", {"billing": 4, "tech": 2}, ["en", "zh"]),
                (2, "Bea Agent", {"billing": 2, "tech": 5}, ["en", "de"]),
            ):
                email = f"agent{n}@demo.test"
                user = User.objects.filter(email=email).first() or User.objects.create_user(
                    email=email, password=PASSWORD, full_name=name, role=User.Role.AGENT
                )
                agent = ensure_agent_profile(user)
                if not agent.skill_levels:
                    for skill in skills:
                        Skill.objects.get_or_create(name=skill)
                    agent = do_set_skills(agent, skills)
                    agent.languages = langs
                    agent.save(update_fields=["languages"])
                agents.append(agent)
            for reason in ("Break", "Lunch", "Training"):
                ReasonCode.objects.get_or_create(name=reason)
            support, _created = Queue.objects.get_or_create(name="Support")
            if not support.steps.exists():
                support.wrap_up_seconds = 15
                support.save(update_fields=["wrap_up_seconds"])
                RoutingStep.objects.create(
                    queue=support, order=0, duration_seconds=30, expression='skills.billing >= 4 and language == "zh"'
                )
                RoutingStep.objects.create(
                    queue=support, order=1, duration_seconds=60, expression="skills.billing >= 2 or skills.tech >= 3"
                )
                support.members.add(*agents)
            if not WidgetKey.objects.exists():  # a demo tenant made before tenants came with one
                WidgetKey.objects.create(name="Website", queue=support)
            port = os.environ.get("PUBLIC_PORT") or os.environ.get("PORT") or "8000"
            for key in WidgetKey.objects.all():
                demo_page = f"http://localhost:{port}"
                if demo_page not in key.allowed_origins:
                    key.allowed_origins = [*key.allowed_origins, demo_page]
                    key.save(update_fields=["allowed_origins"])
            for name in ("Solved", "Refund issued", "Escalated"):
                Disposition.objects.get_or_create(name=name)
            CannedResponse.objects.get_or_create(
                shortcut="hello",
                defaults={
                    "title": "Greeting",
                    "body": "Hi {{ customer.first_name }}, I'm {{ agent.name }}. How can I help?",
                },
            )
