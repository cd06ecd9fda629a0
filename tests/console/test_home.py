"""The home page of a new business: one navigation with what the role may use, an onboarding
checklist that ticks itself, and warnings about queues nobody answers and agents in no queue."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import AgentProfile
from apps.inbox.actions import do_open_interaction
from apps.routing.models import Queue
from apps.widget.models import WidgetKey
from tests.conftest import TenantInfo


def steps(html: str) -> dict[str, bool]:
    return {k: v == "true" for k, v in re.findall(r'data-step="(\w+)" data-done="(true|false)"', html)}


def nav(html: str) -> list[str]:
    return re.findall(r'data-nav="([\w-]+)"', html)


def test_checklist_ticks_itself_and_warnings_name_what_is_wrong(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    owner = Client(HTTP_HOST=tenant_a.host)
    owner.force_login(tenant_a.owner)
    html = owner.get("/").content.decode()
    assert steps(html) == {"queue": False, "agent": False, "widget": False, "conversation": False, "billing": True}
    assert nav(html) == [
        "dashboard",
        "desktop",
        "journey-contacts",
        "wallboard",
        "reports",
        "scorecard",
        "quality",
        "analytics",
        "kb",
        "wfm",
        "settings",
        "team",
        "billing-overview",
        "api-docs",
    ]
    assert "Nobody answers the queue “Support”: add members to it." in html
    # The owner has an agent profile from sign-up (they can be put in a queue at once), and is not
    # nagged for answering no queue.
    assert AgentProfile.objects.filter(user=tenant_a.owner).exists()
    assert "is in no queue" not in html

    agent = User.objects.create_user(email="ann@x.test", password="x", role=User.Role.AGENT, full_name="Ann Agent")
    profile = ensure_agent_profile(agent)
    html = owner.get("/").content.decode()
    assert steps(html)["agent"] is True and steps(html)["queue"] is False
    assert "Ann Agent is in no queue and will get no work." in html

    queue = Queue.objects.get(name="Support")
    queue.members.add(profile)
    WidgetKey.objects.update(last_seen_at="2026-12-01T10:00:00Z")
    html = owner.get("/").content.decode()
    assert steps(html)["queue"] is True and steps(html)["widget"] is True
    assert 'data-testid="setup-warnings"' not in html

    do_open_interaction(channel="chat", queue=queue)
    html = owner.get("/").content.decode()
    assert 'data-testid="onboarding"' not in html  # every step done: the checklist steps aside

    # An agent's menu has only what an agent may use, and no checklist.
    client = Client(HTTP_HOST=tenant_a.host)
    client.force_login(agent)
    html = client.get("/").content.decode()
    # their own customers, numbers, evaluations and schedule
    assert nav(html) == ["dashboard", "desktop", "journey-contacts", "scorecard", "quality", "wfm-my-schedule"]
    assert 'data-testid="onboarding"' not in html
    assert client.get("/settings/").status_code == 403
    assert client.get("/settings/widget/").status_code == 403


def test_the_snippet_text_is_whole(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    owner = Client(HTTP_HOST=tenant_a.host)
    owner.force_login(tenant_a.owner)
    html = owner.get("/").content.decode()
    assert "Paste this line into your pages, before &lt;/body&gt;:" in html
