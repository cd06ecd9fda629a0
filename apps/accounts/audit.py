"""Writing the audit log (AuditEntry). Called only from actions, inside their transaction, so an
entry exists exactly when its change was committed."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry, User


def record_audit(actor: User | None, verb: str, obj: models.Model, **data: Any) -> AuditEntry:
    """One row: `actor` (None: the system) did `verb` to `obj`; `data` holds the new values."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk is not None else None,
        verb=verb,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk) if obj.pk is not None else "",
        data=data,
    )
