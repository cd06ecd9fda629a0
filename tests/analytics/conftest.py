from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.inbox.models import Interaction, Message
from tests.conftest import CeleryWorker


@pytest.fixture(scope="session")
def analytics_worker(django_db_setup: None) -> Iterator[CeleryWorker]:
    """The worker of analytics' own queue (the Procfile's `analytics`)."""
    worker = CeleryWorker("analytics")
    worker.start()
    yield worker
    worker.stop()


def chat(
    lines: list[tuple[str, str]], *, channel: str = "chat", queue: Any = None, minutes_ago: float = 30, **fields: Any
) -> Interaction:
    """An interaction with these (kind, body) messages, one every 20 seconds, in the current schema."""
    start = timezone.now() - timedelta(minutes=minutes_ago)
    interaction = Interaction.objects.create(
        channel=channel, queue=queue, created_at=start, assigned_at=start, last_seq=len(lines), **fields
    )
    Message.objects.bulk_create(
        Message(interaction=interaction, seq=n + 1, kind=kind, body=body, created_at=start + timedelta(seconds=20 * n))
        for n, (kind, body) in enumerate(lines)
    )
    return interaction
