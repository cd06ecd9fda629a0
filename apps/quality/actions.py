"""Writes of quality management. Each takes the acting user, checks what they may do, writes its audit
row in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.analytics.actions import do_record_auto_answers, do_watch_phrases
from apps.analytics.auto import answer as auto_answer
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.inbox.models import Interaction

from .models import Evaluation, EvaluationForm, FormVersion, QualitySettings
from .scoring import check_answers, clean_definition, questions, score

EVALUATORS = {"owner", "admin", "supervisor"}


def _evaluator(actor: User) -> None:
    if actor.role not in EVALUATORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner evaluate."))


def _name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 120:
        raise ValidationFailed(_("Name the form (up to 120 characters)."), fields={"name": [_("1 to 120 characters.")]})
    return name


def do_create_form(actor: User, name: Any, definition: Any) -> EvaluationForm:
    _evaluator(actor)
    cleaned_name, cleaned = _name(name), clean_definition(definition)
    with transaction.atomic():
        form = EvaluationForm.objects.create(name=cleaned_name, created_by=actor)
        version = FormVersion.objects.create(form=form, number=1, definition=cleaned, created_by=actor)
        _watch_auto_phrases(cleaned)
        record_audit(actor, "quality.form_created", form, name=cleaned_name, version=version.number)
    return form


def do_revise_form(actor: User, form_id: int, *, name: Any = None, definition: Any = None) -> EvaluationForm:
    """A new version (the evaluations made with the old one keep it)."""
    _evaluator(actor)
    cleaned_name = _name(name) if name is not None else None
    cleaned = clean_definition(definition) if definition is not None else None
    with transaction.atomic():
        form = EvaluationForm.objects.select_for_update().filter(pk=form_id).first()
        if form is None:
            raise NotFound(_("No such form."))
        if cleaned_name is not None:
            form.name = cleaned_name
            form.save(update_fields=["name"])
        number = None
        if cleaned is not None:
            current = form.current
            number = (current.number if current else 0) + 1
            FormVersion.objects.create(form=form, number=number, definition=cleaned, created_by=actor)
            _watch_auto_phrases(cleaned)
        record_audit(actor, "quality.form_revised", form, name=form.name, version=number)
    return form


def _not_own(actor: User, agent: AgentProfile) -> None:
    if agent.user_id == actor.pk:
        raise PermissionDenied(_("Nobody evaluates their own work."))


def _the_evaluator(actor: User, evaluation: Evaluation) -> None:
    """A draft is its evaluator's to answer and submit (and never about their own work)."""
    if evaluation.evaluator_id != actor.pk:
        raise PermissionDenied(_("Only the evaluator who started this evaluation can change or submit it."))
    _not_own(actor, evaluation.agent)


def do_start_evaluation(actor: User, *, interaction_id: Any, form_id: Any, agent_id: Any = None) -> Evaluation:
    """A draft evaluation of an interaction's agent (the one who handled it, unless `agent_id`), with the
    form's current version."""
    _evaluator(actor)
    interaction = Interaction.objects.filter(pk=interaction_id).first() if isinstance(interaction_id, int) else None
    form = EvaluationForm.objects.filter(pk=form_id, archived=False).first() if isinstance(form_id, int) else None
    errors: dict[str, list[str]] = {}
    if interaction is None:
        errors["interaction"] = [_("No such interaction.")]
    if form is None or form.current is None:
        errors["form"] = [_("No such form.")]
    agent = None
    if interaction is not None:
        wanted = agent_id if isinstance(agent_id, int) else interaction.assigned_agent_id
        agent = AgentProfile.objects.filter(pk=wanted).first() if wanted else None
        if agent is None:
            errors["agent"] = [_("Whose work is evaluated? This interaction has no agent.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    assert form is not None and interaction is not None and agent is not None
    _not_own(actor, agent)
    version = form.current
    assert version is not None
    auto = _auto_answers(interaction, version.definition)
    by_id = {q["id"]: q for q in questions(version.definition)}
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            interaction=interaction,
            agent=agent,
            evaluator=actor,
            version=version,
            answers={qid: found["answer"] for qid, found in auto.items() if found["answer"]},
            # The evidence, where the evaluator reads comments (a call's jumps the player to its moment).
            comments=[_evidence_comment(by_id[qid], found) for qid, found in auto.items()],
        )
        if auto:
            do_record_auto_answers(evaluation.pk, interaction, auto)
        record_audit(
            actor,
            "quality.evaluation_started",
            evaluation,
            interaction=interaction.pk,
            agent=agent.pk,
            form=form.pk,
            auto_answered=sorted(qid for qid, found in auto.items() if found["answer"]),
        )
    return evaluation


def _watch_auto_phrases(definition: dict[str, Any]) -> None:
    """Calls analysed from now on are listened for the phrases of the form's automatic questions."""
    rules = [q["auto"] for q in questions(definition) if q.get("auto")]
    phrases = [p for rule in rules if rule["kind"] == "phrase" for p in rule["phrases"]]
    if phrases:
        do_watch_phrases(phrases)


def _evidence_comment(question: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    evidence = found["evidence"]
    answer = {"yes": _("yes"), "no": _("no")}.get(found["answer"] or "", _("not answered"))
    if evidence.get("reason"):
        why = evidence["reason"]
    elif evidence.get("source") == "sentiment":
        why = _("sentiment score %(score)s (%(label)s)") % {"score": evidence["score"], "label": evidence["label"]}
    elif evidence.get("phrase") and evidence.get("source") == "transcript":
        why = _("“%(phrase)s” in message %(seq)s, %(at)s s in: “%(excerpt)s”") % {
            "phrase": evidence["phrase"], "seq": evidence["seq"], "at": evidence["at_seconds"],
            "excerpt": evidence["excerpt"][:120],
        }  # fmt: skip
    elif evidence.get("phrase"):
        why = _("“%(phrase)s” heard at %(at)s s of the recording") % {
            "phrase": evidence["phrase"], "at": evidence["at_seconds"]
        }  # fmt: skip
    else:
        why = _("none of the phrases was found")
    text = _("Answered automatically (%(question)s): %(answer)s; %(why)s.") % {
        "question": question["text"][:200], "answer": answer, "why": why
    }  # fmt: skip
    at = evidence.get("at_seconds") if evidence.get("source") == "keyword_spotting" else None
    return {"at_seconds": at, "text": text[:2000]}


def _auto_answers(interaction: Interaction, definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The automatic questions' answers (yes / no, or None when analytics cannot tell) and evidence."""
    return {q["id"]: auto_answer(interaction, q["auto"]) for q in questions(definition) if q.get("auto")}


def _comments(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 200:
        raise ValidationFailed(_("comments: a list (200 at most)."), fields={"comments": [_("A list.")]})
    out = []
    for item in value:
        text = item.get("text") if isinstance(item, dict) else None
        at = item.get("at_seconds") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            raise ValidationFailed(_("A comment of 1 to 2,000 characters."), fields={"comments": [_("Bad comment.")]})
        if at is not None and (not isinstance(at, int | float) or isinstance(at, bool) or not 0 <= at <= 86400):
            raise ValidationFailed(
                _("at_seconds: a time in the recording, in seconds."), fields={"comments": [_("Bad time.")]}
            )
        out.append({"at_seconds": at, "text": text.strip()})
    return out


def _locked(evaluation_id: int) -> Evaluation:
    found = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("version", "agent")
        .filter(pk=evaluation_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such evaluation."))
    return found


def do_save_evaluation(actor: User, evaluation_id: int, *, answers: Any = None, comments: Any = None) -> Evaluation:
    """A draft's answers and comments (checked against the form's questions, not yet complete)."""
    _evaluator(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        _the_evaluator(actor, evaluation)
        if evaluation.status != Evaluation.Status.DRAFT:
            raise ApplicationError(_("A submitted evaluation cannot be changed."), code="not_draft", status=409)
        if answers is not None:
            evaluation.answers = check_answers(evaluation.version.definition, answers, complete=False)
        if comments is not None:
            evaluation.comments = _comments(comments)
        evaluation.save(update_fields=["answers", "comments"])
        record_audit(actor, "quality.evaluation_saved", evaluation, answers=evaluation.answers)
    return evaluation


def do_submit_evaluation(actor: User, evaluation_id: int) -> Evaluation:
    _evaluator(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        _the_evaluator(actor, evaluation)
        if evaluation.status != Evaluation.Status.DRAFT:
            raise ApplicationError(_("This evaluation is already submitted."), code="not_draft", status=409)
        definition = evaluation.version.definition
        check_answers(definition, evaluation.answers, complete=True)
        evaluation.score, evaluation.critical_failed = score(definition, evaluation.answers)
        evaluation.status = Evaluation.Status.SUBMITTED
        evaluation.submitted_at = timezone.now()
        evaluation.save(update_fields=["score", "critical_failed", "status", "submitted_at"])
        record_audit(actor, "quality.evaluation_submitted", evaluation, score=evaluation.score)
    return evaluation


def _own(actor: User, evaluation: Evaluation) -> None:
    if AgentProfile.objects.filter(user=actor, pk=evaluation.agent_id).exists():
        return
    raise NotFound(_("No such evaluation."))


def do_acknowledge_evaluation(actor: User, evaluation_id: int) -> Evaluation:
    """The evaluated agent has read it (and accepts it)."""
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        _own(actor, evaluation)
        if evaluation.status != Evaluation.Status.SUBMITTED:
            raise ApplicationError(_("Only a submitted evaluation can be acknowledged."), code="bad_state", status=409)
        evaluation.status = Evaluation.Status.ACKNOWLEDGED
        evaluation.acknowledged_at = timezone.now()
        evaluation.save(update_fields=["status", "acknowledged_at"])
        record_audit(actor, "quality.evaluation_acknowledged", evaluation)
    return evaluation


def do_dispute_evaluation(actor: User, evaluation_id: int, reason: Any) -> Evaluation:
    """The evaluated agent disputes it, within the tenant's window after it was submitted."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > 2000:
        raise ValidationFailed(_("Say why (up to 2,000 characters)."), fields={"reason": [_("1 to 2,000 characters.")]})
    days = QualitySettings.current().dispute_days
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        _own(actor, evaluation)
        if evaluation.status != Evaluation.Status.SUBMITTED:
            raise ApplicationError(_("Only a submitted evaluation can be disputed."), code="bad_state", status=409)
        assert evaluation.submitted_at is not None
        if timezone.now() > evaluation.submitted_at + timedelta(days=days):
            raise ApplicationError(
                _("Evaluations can be disputed within %(n)d days of being submitted.") % {"n": days},
                code="dispute_window_closed",
                status=409,
            )
        evaluation.status = Evaluation.Status.DISPUTED
        evaluation.dispute_reason = text
        evaluation.disputed_at = timezone.now()
        evaluation.save(update_fields=["status", "dispute_reason", "disputed_at"])
        record_audit(actor, "quality.evaluation_disputed", evaluation, reason=text)
    return evaluation


def do_review_dispute(actor: User, evaluation_id: int, *, note: Any, answers: Any = None) -> Evaluation:
    """A reviewer's final decision on a dispute: the score stands, or new answers score it again. Not
    the evaluator who made it, nor the agent."""
    _evaluator(actor)
    text = note.strip() if isinstance(note, str) else ""
    if not text or len(text) > 2000:
        raise ValidationFailed(_("Explain the decision (up to 2,000 characters)."), fields={"note": [_("Required.")]})
    with transaction.atomic():
        evaluation = _locked(evaluation_id)
        if evaluation.status != Evaluation.Status.DISPUTED:
            raise ApplicationError(_("Only a disputed evaluation can be reviewed."), code="bad_state", status=409)
        if (
            evaluation.evaluator_id == actor.pk
            or AgentProfile.objects.filter(user=actor, pk=evaluation.agent_id).exists()
        ):
            raise PermissionDenied(_("Someone other than the evaluator and the agent reviews a dispute."))
        before = evaluation.score
        if answers is not None:
            definition = evaluation.version.definition
            evaluation.answers = check_answers(definition, answers, complete=True)
            evaluation.score, evaluation.critical_failed = score(definition, evaluation.answers)
        evaluation.status = Evaluation.Status.RESOLVED
        evaluation.reviewed_by = actor
        evaluation.reviewed_at = timezone.now()
        evaluation.review_note = text
        evaluation.save()
        record_audit(actor, "quality.dispute_reviewed", evaluation, before=before, after=evaluation.score, note=text)
    return evaluation
