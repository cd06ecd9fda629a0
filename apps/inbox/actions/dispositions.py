"""Dispositions (the wrap-up outcomes agents pick when resolving): the writes, with their audit rows.
Deleting one that interactions carry is refused: their record and the reports keep naming it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import ngettext

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError

from ..models import Disposition, Interaction


def do_save_disposition(actor: User | None, *, name: str, disposition: Disposition | None = None) -> Disposition:
    with transaction.atomic():
        if disposition is None:
            disposition = Disposition.objects.create(name=name)
            record_audit(actor, "disposition.created", disposition, name=name)
            return disposition
        disposition = Disposition.objects.select_for_update().get(pk=disposition.pk)
        disposition.name = name
        disposition.save(update_fields=["name"])
        record_audit(actor, "disposition.updated", disposition, name=name)
    return disposition


def do_delete_disposition(actor: User | None, disposition: Disposition) -> None:
    """Refused (409 disposition_in_use) once an interaction was resolved with it. Rename it instead."""
    with transaction.atomic():
        disposition = Disposition.objects.select_for_update().get(pk=disposition.pk)
        used = Interaction.objects.filter(disposition=disposition).count()
        if used:
            message = ngettext(
                "“%(name)s” cannot be deleted: %(n)d interaction was resolved with it. Rename it instead.",
                "“%(name)s” cannot be deleted: %(n)d interactions were resolved with it. Rename it instead.",
                used,
            ) % {"name": disposition.name, "n": used}
            raise ApplicationError(message, code="disposition_in_use", status=409, fields={"name": [message]})
        record_audit(actor, "disposition.deleted", disposition, name=disposition.name)
        disposition.delete()
