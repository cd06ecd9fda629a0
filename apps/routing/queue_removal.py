"""Deleting a queue (an action): refused with a clear error while anything still refers to it."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError

from .models import Queue


class QueueInUse(ApplicationError):
    code = "queue_in_use"
    status = 409


def _still_using(queue: Queue) -> dict[str, int]:
    """What refers to the queue and keeps it (foreign keys with on_delete=PROTECT: interactions,
    widget keys), counted without loading them and without importing the apps above routing."""
    counts: dict[str, int] = {}
    for rel in queue._meta.related_objects:
        model = rel.related_model
        if getattr(rel, "on_delete", None) is models.PROTECT and not isinstance(model, str):
            n = model._base_manager.filter(**{rel.field.name: queue}).count()
            if n:
                counts[str(model._meta.model_name)] = n
    return counts


def _describe(counts: dict[str, int]) -> str:
    parts = []
    for model, n in sorted(counts.items()):
        if model == "interaction":
            parts.append(ngettext("%(n)d interaction", "%(n)d interactions", n) % {"n": n})
        elif model == "callback":
            parts.append(ngettext("%(n)d callback", "%(n)d callbacks", n) % {"n": n})
        elif model == "widgetkey":
            parts.append(ngettext("%(n)d chat widget", "%(n)d chat widgets", n) % {"n": n})
        else:
            parts.append(f"{n} {model}")
    return ", ".join(parts)


def do_delete_queue(queue: Queue, *, actor: User | None) -> None:
    """Delete a queue nothing refers to any more; otherwise QueueInUse says what still does."""
    with transaction.atomic():
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        counts = _still_using(locked)
        if not counts:
            try:
                with transaction.atomic():
                    record_audit(actor, "queue.deleted", locked, name=locked.name)
                    locked.delete()
                return
            except ProtectedError:  # something started using it since we counted
                counts = _still_using(locked)
    raise QueueInUse(
        _(
            "The queue “%(name)s” cannot be deleted: it still has %(what)s. Move them to another queue "
            "(or delete them) first."
        )
        % {"name": queue.name, "what": _describe(counts) or _("records that refer to it")},
        fields={"queue": [_("Still in use.")]},
    )
