"""Reads of quality management, with who may see what: evaluators (supervisors and up) every
evaluation; an agent only their own, once submitted."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import NotFound

from .models import Evaluation, EvaluationForm
from .scoring import FORMULA

EVALUATORS = {"owner", "admin", "supervisor"}


def visible_evaluations(user: User) -> QuerySet[Evaluation]:
    found = Evaluation.objects.select_related("version__form", "agent__user", "evaluator")
    if user.role in EVALUATORS:
        return found
    return found.filter(agent__user=user).exclude(status=Evaluation.Status.DRAFT)


def readable_evaluation(user: User, evaluation_id: int) -> Evaluation:
    found = visible_evaluations(user).filter(pk=evaluation_id).first()
    if found is None:
        raise NotFound(_("No such evaluation."))
    return found


def form_json(form: EvaluationForm) -> dict[str, Any]:
    current = form.current
    return {
        "id": form.pk,
        "name": form.name,
        "archived": form.archived,
        "version": current.number if current else None,
        "definition": current.definition if current else None,
        "score_formula": str(FORMULA),
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    agent: AgentProfile = evaluation.agent
    return {
        "id": evaluation.pk,
        "interaction": evaluation.interaction_id,
        "agent": {"id": agent.pk, "name": agent.user.display_name},
        "evaluator": {"id": evaluation.evaluator.pk, "name": evaluation.evaluator.display_name}
        if evaluation.evaluator
        else None,
        "form": {
            "id": evaluation.version.form_id,
            "name": evaluation.version.form.name,
            "version": evaluation.version.number,
            "definition": evaluation.version.definition,
        },
        "status": evaluation.status,
        "answers": evaluation.answers,
        "comments": evaluation.comments,
        "score": evaluation.score,
        "critical_failed": evaluation.critical_failed,
        "score_formula": str(FORMULA),
        "submitted_at": evaluation.submitted_at.isoformat() if evaluation.submitted_at else None,
        "acknowledged_at": evaluation.acknowledged_at.isoformat() if evaluation.acknowledged_at else None,
        "dispute_reason": evaluation.dispute_reason or None,
        "review_note": evaluation.review_note or None,
    }
