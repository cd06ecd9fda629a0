"""Evaluation forms kept out of the way: archived forms are offered for no new evaluation or sampling
rule (evaluations made with them keep their version), and can be restored."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied

from .models import EvaluationForm
from .selectors import EVALUATORS


def do_set_form_archived(actor: User, form_id: int, archived: bool) -> EvaluationForm:
    if actor.role not in EVALUATORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner edit forms."))
    with transaction.atomic():
        form = EvaluationForm.objects.select_for_update().filter(pk=form_id).first()
        if form is None:
            raise NotFound(_("No such form."))
        if form.archived != archived:
            form.archived = archived
            form.save(update_fields=["archived"])
            record_audit(actor, "quality.form_archived" if archived else "quality.form_restored", form)
    return form
