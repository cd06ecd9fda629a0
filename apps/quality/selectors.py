"""Reads of quality management, with who may see what: evaluators (supervisors and up) every
evaluation; an agent only their own, once submitted."""

from __future__ import annotations

from datetime import datetime
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
    if user.role in EVALUATORS:  # every evaluation, but a draft about oneself (an evaluator is evaluated too)
        return found.exclude(status=Evaluation.Status.DRAFT, agent__user=user)
    # An agent: their own, submitted, not a calibration's (those score the evaluators, not the agent).
    return found.filter(agent__user=user, calibration__isnull=True).exclude(status=Evaluation.Status.DRAFT)


def readable_evaluation(user: User, evaluation_id: int) -> Evaluation:
    found = visible_evaluations(user).filter(pk=evaluation_id).first()
    if found is None:
        raise NotFound(_("No such evaluation."))
    return found


SCORED = (Evaluation.Status.SUBMITTED, Evaluation.Status.ACKNOWLEDGED, Evaluation.Status.DISPUTED,
          Evaluation.Status.RESOLVED)  # fmt: skip


def average_scores(agent_ids: list[int], start: datetime, end: datetime) -> dict[int, float]:
    """Each agent's average score over the evaluations submitted in [start, end) (drafts never count;
    a reviewed dispute counts with its final score)."""
    from django.db.models import Avg

    rows = (
        Evaluation.objects.filter(
            agent_id__in=agent_ids,
            status__in=SCORED,
            submitted_at__gte=start,
            submitted_at__lt=end,
            calibration__isnull=True,
        )
        .exclude(score=None)
        .values("agent_id")
        .annotate(avg=Avg("score"))
    )
    return {r["agent_id"]: round(r["avg"], 2) for r in rows}


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
        "calibration": evaluation.calibration_id,
    }


def quality_report(start: datetime, end: datetime) -> dict[str, Any]:
    """Scores of the evaluations submitted in [start, end): per agent and per form (count, average),
    and per question of each form version (answered, N/A, the average result 0-100)."""
    from .scoring import NA, questions, result_of

    evaluations = list(
        Evaluation.objects.filter(
            status__in=SCORED, submitted_at__gte=start, submitted_at__lt=end, calibration__isnull=True
        )
        .exclude(score=None)
        .select_related("agent__user", "version__form")
    )
    agents: dict[int, dict[str, Any]] = {}
    forms: dict[int, dict[str, Any]] = {}
    asked: dict[tuple[int, int, str], dict[str, Any]] = {}
    for e in evaluations:
        score = float(e.score or 0)
        a = agents.setdefault(e.agent_id, {"id": e.agent_id, "name": e.agent.user.display_name, "n": 0, "sum": 0.0})
        f = forms.setdefault(
            e.version.form_id, {"id": e.version.form_id, "name": e.version.form.name, "n": 0, "sum": 0.0}
        )
        for row in (a, f):
            row["n"] += 1
            row["sum"] += score
        for q in questions(e.version.definition):
            if q["kind"] == "text" or q["id"] not in e.answers:
                continue
            key = (e.version.form_id, e.version.number, q["id"])
            row = asked.setdefault(
                key,
                {"form": e.version.form_id, "version": e.version.number, "question": q["id"], "text": q["text"],
                 "answered": 0, "na": 0, "sum": 0.0},
            )  # fmt: skip
            if e.answers[q["id"]] == NA:
                row["na"] += 1
                continue
            row["answered"] += 1
            row["sum"] += result_of(q, e.answers[q["id"]]) or 0.0

    def averaged(row: dict[str, Any], count: str) -> dict[str, Any]:
        total, n = row.pop("sum"), row[count]
        row["average"] = round(total / n * (100 if count == "answered" else 1), 2) if n else None
        return row

    return {
        "agents": sorted((averaged(r, "n") for r in agents.values()), key=lambda r: r["name"]),
        "forms": sorted((averaged(r, "n") for r in forms.values()), key=lambda r: r["name"]),
        "questions": [averaged(r, "answered") for _key, r in sorted(asked.items())],
    }
