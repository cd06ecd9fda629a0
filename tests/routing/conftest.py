from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from apps.accounts.models import User
from apps.agents.actions import do_set_skills, ensure_agent_profile
from apps.agents.models import AgentProfile, AgentState, Skill
from apps.routing import engine
from apps.routing.models import Queue, RoutingStep
from tests.conftest import TenantInfo, create_tenant
from tests.processes import Proc, python, wait_until


@pytest.fixture
def tenant() -> Iterator[TenantInfo]:
    """A fresh tenant; the test's connection works inside its schema."""
    from apps.widget.models import WidgetKey

    info = create_tenant("r")
    connection.set_schema(info.schema_name)
    # Start from nothing: these tests build their own queues (new tenants get a default one).
    WidgetKey.objects.all().delete()
    Queue.objects.all().delete()
    engine.forget_cached_plans()
    yield info
    engine.forget_cached_plans()


class World:
    """Builds agents, skills and queues of one tenant quickly."""

    def __init__(self) -> None:
        self.n = 0

    def skill(self, *names: str) -> None:
        for name in names:
            Skill.objects.get_or_create(name=name)

    def agent(
        self,
        *,
        skills: dict[str, int] | None = None,
        languages: list[str] | None = None,
        location: str = "",
        queues: list[Queue] = (),
        state: str = AgentState.AVAILABLE,  # type: ignore[assignment]
        idle_seconds_ago: float = 0,
        attributes: dict[str, Any] | None = None,
        **capacity: int,
    ) -> AgentProfile:
        from datetime import timedelta

        from django.utils import timezone

        self.n += 1
        user = User.objects.create_user(
            email=f"agent{self.n}@x.test", password="x", role=User.Role.AGENT, full_name=f"Agent {self.n}"
        )
        agent = ensure_agent_profile(user)
        if skills:
            self.skill(*skills)
            agent = do_set_skills(agent, skills)
        agent.languages = languages or []
        agent.location = location
        agent.attributes = attributes or {}
        agent.state = state
        agent.idle_since = timezone.now() - timedelta(seconds=idle_seconds_ago)
        for key, value in capacity.items():
            setattr(agent, key, value)
        agent.save()
        for q in queues:
            q.members.add(agent)
        return agent

    def queue(self, name: str, steps: list[tuple[str, int | None]] = (), **fields: Any) -> Queue:  # type: ignore[assignment]
        queue = Queue.objects.create(name=name, **fields)
        for n, (expression, duration) in enumerate(steps):
            RoutingStep.objects.create(queue=queue, order=n, expression=expression, duration_seconds=duration)
        engine.forget_cached_plans()
        return queue


@pytest.fixture
def world(tenant: TenantInfo) -> World:
    return World()


@pytest.fixture
def celery_beat(celery_worker: Any) -> Iterator[Proc]:
    """Celery beat with its real schedule (it fires the routing timers every second), and a worker."""
    schedule = tempfile.mkdtemp() + "/beat"
    proc = Proc(
        "beat-routing", python("-m", "celery", "-A", "ccaas", "beat", "--loglevel=info", f"--schedule={schedule}")
    )
    offset = proc.log_path.stat().st_size if proc.log_path.exists() else 0
    proc.start()

    def swept() -> bool:
        with open(proc.log_path, "rb") as log:
            log.seek(offset)
            return b"Sending due task routing-fire-due-timers" in log.read()

    # Beat takes seconds to start on a busy machine; tests that time timers start once it ticks.
    wait_until(swept, 90, "celery beat's first timer sweep")
    yield proc
    proc.stop()
