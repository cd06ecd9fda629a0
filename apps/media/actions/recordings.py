"""Writes of the media app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from apps.core.hooks import run_hooks

from ..models import Recording


def recording_name(schema_name: str, call_id: str) -> str:
    return f"{schema_name}/recordings/{call_id}.webm"


def do_store_recording(
    *,
    schema: str,
    call_id: str,
    path: Path,
    duration: float,
    size: int,
    streams: list[dict[str, Any]],
    complete: bool,
) -> Recording:
    """Store the finished file and its row. Precondition: the connection is on `schema`.
    Idempotent: a call has at most one recording, so a retry after a crash returns the first."""
    existing = Recording.objects.filter(call_id=call_id).first()
    if existing is not None:
        return existing
    with path.open("rb") as handle:
        name = default_storage.save(recording_name(schema, call_id), File(handle))
    with transaction.atomic():
        recording, created = Recording.objects.get_or_create(
            call_id=call_id,
            defaults={"file": name, "duration": duration, "size": size, "streams": streams, "complete": complete},
        )
        if created:
            stored = recording.pk
            transaction.on_commit(lambda: run_hooks("recording_stored", call_id=call_id, recording_id=stored))
    return recording
