"""Calibration: several evaluators score the same interaction with the same form; one of them is the
expert. Results: each question's answers with their spread (the range and standard deviation of the
results, 0-100), and each evaluator's score, its deviation from the expert's and how many answers differ
from the expert's. Calibration evaluations count in no agent's scores and no agent sees them."""

from __future__ import annotations

import statistics
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.core.validation import json_object
from apps.inbox.models import Interaction

from .models import Calibration, Evaluation, EvaluationForm
from .scoring import NA, questions, result_of

EVALUATORS = {"owner", "admin", "supervisor"}


def do_start_calibration(actor: User, data: Any) -> Calibration:
    """{interaction, form, expert (user id), evaluators: [user ids]}: a draft for the expert and each
    evaluator (supervisors and up; not the agent whose work it is)."""
    if actor.role not in EVALUATORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner evaluate."))
    data = json_object(data)
    errors: dict[str, list[str]] = {}
    iid, fid = data.get("interaction"), data.get("form")
    interaction = Interaction.objects.filter(pk=iid).first() if isinstance(iid, int) else None
    form = EvaluationForm.objects.filter(pk=fid, archived=False).first() if isinstance(fid, int) else None
    if interaction is None:
        errors["interaction"] = [_("No such interaction.")]
    elif interaction.assigned_agent_id is None:
        errors["interaction"] = [_("Whose work is evaluated? This interaction has no agent.")]
    if form is None or form.current is None:
        errors["form"] = [_("No such form.")]
    ids = data.get("evaluators")
    expert_id = data.get("expert")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors["evaluators"] = [_("A list of user ids.")]
        ids = []
    people = {u.pk: u for u in User.objects.filter(pk__in=[*ids, expert_id] if isinstance(expert_id, int) else ids)}
    expert = people.get(expert_id) if isinstance(expert_id, int) else None
    if expert is None or expert.role not in EVALUATORS or not expert.is_active:
        errors["expert"] = [_("A supervisor, admin or the owner.")]
    others = [people[i] for i in dict.fromkeys(ids) if i in people and i != expert_id]
    if not 1 <= len(others) <= 20 or any(u.role not in EVALUATORS or not u.is_active for u in others):
        errors.setdefault("evaluators", [_("1 to 20 supervisors, admins or the owner besides the expert.")])
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    assert interaction is not None and form is not None and expert is not None
    agent = interaction.assigned_agent
    assert agent is not None
    if agent.user_id in {expert.pk, *(u.pk for u in others)}:
        raise PermissionDenied(_("Nobody evaluates their own work."))
    version = form.current
    assert version is not None
    with transaction.atomic():
        calibration = Calibration.objects.create(
            interaction=interaction, version=version, expert=expert, created_by=actor
        )
        Evaluation.objects.bulk_create(
            Evaluation(interaction=interaction, agent=agent, evaluator=u, version=version, calibration=calibration)
            for u in [expert, *others]
        )
        record_audit(
            actor, "quality.calibration_started", calibration, expert=expert.pk, evaluators=[u.pk for u in others]
        )
    return calibration


def calibration_results(calibration_id: int, user: User) -> dict[str, Any]:
    """The comparison, for evaluators (supervisors and up). Evaluations not yet submitted are listed as
    pending and left out of the numbers."""
    if user.role not in EVALUATORS:
        raise NotFound(_("No such calibration."))
    calibration = Calibration.objects.select_related("version", "expert").filter(pk=calibration_id).first()
    if calibration is None:
        raise NotFound(_("No such calibration."))
    evaluations = list(calibration.evaluations.select_related("evaluator").order_by("pk"))
    done = [e for e in evaluations if e.status != Evaluation.Status.DRAFT]
    expert = next((e for e in done if e.evaluator_id == calibration.expert_id), None)
    asked = [q for q in questions(calibration.version.definition) if q["kind"] != "text"]
    rows = []
    for q in asked:
        answers = {e.pk: e.answers.get(q["id"]) for e in done}
        results = {pk: (None if value is None or value == NA else result_of(q, value)) for pk, value in answers.items()}
        values = [r * 100 for r in results.values() if r is not None]
        rows.append(
            {
                "question": q["id"],
                "text": q["text"],
                "answers": {pk: answers[pk] for pk in answers},
                "spread": round(max(values) - min(values), 2) if values else None,
                "stdev": round(statistics.pstdev(values), 2) if len(values) > 1 else (0.0 if values else None),
            }
        )
    people = []
    for e in evaluations:
        differs = (
            sum(1 for q in asked if expert is not None and e.answers.get(q["id"]) != expert.answers.get(q["id"]))
            if e.status != Evaluation.Status.DRAFT
            else None
        )
        people.append(
            {
                "evaluation": e.pk,
                "evaluator": {"id": e.evaluator_id, "name": e.evaluator.display_name if e.evaluator else None},
                "expert": e.evaluator_id == calibration.expert_id,
                "submitted": e.status != Evaluation.Status.DRAFT,
                "score": e.score,
                "deviation": round(e.score - expert.score, 2)
                if expert is not None and e.score is not None and expert.score is not None
                else None,
                "answers_differing": differs,
            }
        )
    return {
        "id": calibration.pk,
        "interaction": calibration.interaction_id,
        "form": {"id": calibration.version.form_id, "version": calibration.version.number},
        "expert": {"id": calibration.expert_id, "name": calibration.expert.display_name},
        "evaluators": people,
        "questions": rows,
    }
