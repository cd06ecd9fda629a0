"""Quality management's pages: the evaluations list (evaluators: all, and starting one; agents: their
own submitted ones) and one evaluation beside what it evaluates (the call's recording with comments
that jump it to their moment, or the chat or email transcript)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound
from apps.core.validation import whole_number
from apps.inbox.models import Channel, Message

from . import actions
from .models import Evaluation, EvaluationForm, SamplingRule, WorkItem
from .sampling import do_save_sampling_rule, do_set_sampling_rule_enabled, do_start_from_work_item
from .scoring import FORMULA, NA, questions
from .selectors import EVALUATORS, readable_evaluation, visible_evaluations


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _int(raw: Any) -> Any:
    """A whole number typed in a field, or what was typed (the action then says what is wrong)."""
    number = whole_number(raw)
    return number if number is not None else raw


@login_required
@require_http_methods(["GET", "POST"])
def evaluations_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    evaluator = user.role in EVALUATORS
    error: ApplicationError | None = None
    step = ""
    if request.method == "POST":
        if not evaluator:
            return render(request, "core/forbidden.html", status=403)
        step = str(request.POST.get("step", "start"))
        try:
            if step in ("add_rule", "toggle_rule"):
                messages.success(request, _rule_step(request, step))
                return redirect("quality")
            if step == "start_item":
                evaluation = do_start_from_work_item(user, _int(request.POST.get("item")))
            else:
                evaluation = actions.do_start_evaluation(
                    user, interaction_id=_int(request.POST.get("interaction")), form_id=_int(request.POST.get("form"))
                )
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Evaluation started: answer the questions, then submit it."))
            return redirect("quality-evaluation", pk=evaluation.pk)
    found = visible_evaluations(user).select_related("interaction").order_by("-created_at", "-pk")[:200]
    return render(
        request,
        "quality/evaluations.html",
        {
            "evaluations": found,
            "evaluator": evaluator,
            "work": WorkItem.objects.filter(status=WorkItem.Status.OPEN)
            .select_related("agent__user", "interaction")
            .order_by("-created_at")[:100]
            if evaluator
            else [],
            "rules": SamplingRule.objects.select_related("form").order_by("name") if evaluator else [],
            "evaluators": User.objects.filter(is_active=True, role__in=EVALUATORS).order_by("full_name", "email")
            if evaluator
            else [],
            "kinds": SamplingRule.Kind.choices,
            "channels": Channel.choices,
            "forms": EvaluationForm.objects.filter(archived=False).order_by("name") if evaluator else [],
            "error": error,
            "step": step,
            "posted": request.POST,
        },
        status=error.status if error else 200,
    )


def _rule_step(request: HttpRequest, step: str) -> str:
    user = _user(request)
    if step == "toggle_rule":
        rule = do_set_sampling_rule_enabled(
            user, _int(request.POST.get("rule")) or 0, request.POST.get("enabled") == "1"
        )
        return _("Rule on.") if rule.enabled else _("Rule off.")
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "").strip().replace(",", ".")
    try:
        number: Any = float(value) if value else None
    except ValueError:
        number = value
    field = {"random": "percent", "low_csat": "csat_at_most", "long_handle": "aht_factor"}.get(kind, "percent")
    if field == "csat_at_most" and isinstance(number, float) and number.is_integer():
        number = int(number)
    channel = request.POST.get("channel", "")
    do_save_sampling_rule(
        user,
        {
            "name": request.POST.get("name", ""),
            "kind": kind,
            "form": _int(request.POST.get("form")),
            "channels": [channel] if channel else [],
            field: number,
        },
    )
    return _("Rule added: it looks at the last week now, then at what happens, every 5 minutes.")


def _answers_from(request: HttpRequest, evaluation: Evaluation) -> dict[str, Any]:
    """The question inputs of the page as the API's answers (what was left blank is not answered)."""
    answers: dict[str, Any] = {}
    for q in questions(evaluation.version.definition):
        raw = request.POST.get(f"q_{q['id']}", "")
        if raw == "":
            continue
        if raw == NA or q["kind"] in ("yes_no", "text"):
            answers[q["id"]] = raw
        else:
            answers[q["id"]] = _int(raw)
    return answers


def _comments_from(request: HttpRequest, evaluation: Evaluation) -> list[dict[str, Any]]:
    comments = list(evaluation.comments)
    text = request.POST.get("comment", "").strip()
    if text:
        raw = request.POST.get("comment_at", "").strip()
        try:
            at: Any = round(float(raw), 1) if raw else None
        except ValueError:
            at = raw
        comments.append({"at_seconds": at, "text": text})
    return comments


def _act(request: HttpRequest, evaluation: Evaluation) -> str:
    user, pk, step = _user(request), evaluation.pk, request.POST.get("step", "")
    if step in ("save", "submit"):
        actions.do_save_evaluation(
            user, pk, answers=_answers_from(request, evaluation), comments=_comments_from(request, evaluation)
        )
        if step == "save":
            return _("Draft saved.")
        actions.do_submit_evaluation(user, pk)
        return _("Evaluation submitted: the agent can read it now.")
    if step == "acknowledge":
        actions.do_acknowledge_evaluation(user, pk)
        return _("Acknowledged.")
    if step == "dispute":
        actions.do_dispute_evaluation(user, pk, request.POST.get("reason"))
        return _("Dispute sent: a reviewer will decide.")
    if step == "review":
        changed = request.POST.get("rescore") == "1"
        actions.do_review_dispute(
            user, pk, note=request.POST.get("note"), answers=_answers_from(request, evaluation) if changed else None
        )
        return _("Dispute resolved.")
    raise ApplicationError(_("Unknown step."), code="bad_step", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def calibration_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Start a calibration (POST), or read one: each question's answers and spread, each evaluator's
    deviation from the expert."""
    from .calibration import calibration_results, do_start_calibration

    user = _user(request)
    if user.role not in EVALUATORS:
        return render(request, "core/forbidden.html", status=403)
    if request.method == "POST":
        try:
            calibration = do_start_calibration(
                user,
                {
                    "interaction": _int(request.POST.get("interaction")),
                    "form": _int(request.POST.get("form")),
                    "expert": _int(request.POST.get("expert")),
                    "evaluators": [_int(v) for v in request.POST.getlist("evaluators")],
                },
            )
        except ApplicationError as exc:
            messages.error(request, " ".join([exc.message, *[" ".join(v) for v in (exc.fields or {}).values()]]))
            return redirect("quality")
        messages.success(request, _("Calibration started: each evaluator has a draft to answer."))
        return redirect("quality-calibration", pk=calibration.pk)
    try:
        results = calibration_results(pk or 0, user)
    except NotFound as exc:
        return render(request, "core/error.html", {"title": _("Not found"), "message": exc.message, "status": 404},
                      status=404)  # fmt: skip
    mine = next((p for p in results["evaluators"] if p["evaluator"]["id"] == user.pk), None)
    return render(request, "quality/calibration.html", {"c": results, "mine": mine})


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        evaluation = readable_evaluation(user, pk)
    except NotFound as exc:
        context = {"title": _("Not found"), "message": exc.message, "status": 404}
        return render(request, "core/error.html", context, status=404)
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            messages.success(request, _act(request, evaluation))
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(reverse("quality-evaluation", args=[pk]))
    evaluation = readable_evaluation(user, pk)
    interaction = evaluation.interaction
    # Recordings are played by supervisors and up (media's rule); the agent reads the transcript.
    calls = interaction.channel in ("voice", "video") and user.is_manager
    recordings = _recordings(interaction.pk, evaluation.comments) if calls else []
    transcript = (
        list(
            Message.objects.filter(interaction=interaction)
            .exclude(kind=Message.Kind.NOTE)
            .select_related("author")
            .order_by("seq")
        )
        if not recordings
        else []
    )
    posted = request.POST if error else {}
    answers = {**evaluation.answers, **({k[2:]: v for k, v in posted.items() if k.startswith("q_")} if posted else {})}
    sections = [
        {
            "title": s["title"],
            "questions": [
                {
                    **q,
                    "answer": answers.get(q["id"]),
                    "answer_text": str(answers.get(q["id"], "")),
                    "errors": (error.fields or {}).get(q["id"], []) if error else [],
                    "scale_range": range(1, q.get("scale_max", 0) + 1),
                    "options_indexed": [{"index": i, **o} for i, o in enumerate(q.get("options", []))],
                }
                for q in s["questions"]
            ],
        }
        for s in evaluation.version.definition["sections"]
    ]
    is_agent = evaluation.agent.user_id == user.pk
    return render(
        request,
        "quality/evaluation.html",
        {
            "e": evaluation,
            "interaction": interaction,
            "recordings": recordings,
            "transcript": transcript,
            "sections": sections,
            "formula": FORMULA,
            "editable": evaluation.status == Evaluation.Status.DRAFT and evaluation.evaluator_id == user.pk,
            "can_answer": is_agent and evaluation.status == Evaluation.Status.SUBMITTED,
            "can_review": evaluation.status == Evaluation.Status.DISPUTED
            and user.role in EVALUATORS
            and evaluation.evaluator_id != user.pk
            and not is_agent,
            "error": error,
            "posted": posted,
        },
        status=error.status if error else 200,
    )


def identity_marks(call_id: str, duration: float) -> list[dict[str, Any]]:
    """The steps of the call's identity checks on the recording's timeline (the recording starts when
    the call is answered)."""
    from apps.media.models import Call, CallEvent, IdentityStep

    call = Call.objects.filter(call_id=call_id).first()
    if call is None or call.answered_at is None:
        return []
    names = {**dict(IdentityStep.Kind.choices), "verified": _("verified"), "failed": _("failed")}
    marks = []
    for event in CallEvent.objects.filter(call=call, kind=CallEvent.Kind.IDENTITY).exclude(data__step="started"):
        at = max(0.0, (event.at - call.answered_at).total_seconds())
        label = names.get(str(event.data.get("step", "")), "")
        marks.append(
            {
                "at": round(at, 1),
                "left": round(100 * min(at, duration) / duration, 3),
                "text": _("Identity check: %(step)s") % {"step": label},
            }
        )
    return marks


def _recordings(interaction_id: int, comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The interaction's recordings for the player: each party's own audio track (played together, muted
    one by one), the video when there was one, and who spoke when (analytics) drawn as lanes."""
    from apps.analytics.selectors import call_timeline
    from apps.media.models import Call, Recording
    from apps.media.tracks import audio_tracks

    calls = list(Call.objects.filter(interaction_id=interaction_id, recorded=True).values_list("call_id", flat=True))
    timeline = call_timeline(interaction_id)
    found = []
    for recording in Recording.objects.filter(call_id__in=calls).order_by("created"):
        duration = max(recording.duration, 0.1)
        spoken = {p["party"]: p for p in (timeline or {}).get("parties", [])}

        def lane(spans: list[list[float]], length: float = duration) -> list[dict[str, float]]:
            return [
                {"start": a, "end": b, "left": round(100 * a / length, 3), "width": round(100 * (b - a) / length, 3)}
                for a, b in spans
                if b > a
            ]

        tracks = []
        for t in audio_tracks(recording):
            party = spoken.get(t["party"], {})
            tracks.append(
                {
                    **t,
                    "url": reverse("call-recording-track", args=[recording.pk, t["index"]]),
                    "segments": lane(party.get("segments", [])),
                    "talk_seconds": party.get("talk_seconds"),
                }
            )
        found.append(
            {
                "url": reverse("call-recording", args=[recording.pk]),
                "duration": round(duration, 1),
                "video": any(st.get("type") == "video" for st in recording.streams),
                "tracks": tracks,
                "overtalk": lane((timeline or {}).get("overtalk", [])),
                "marks": [
                    {
                        "at": c["at_seconds"],
                        "left": round(100 * min(c["at_seconds"], duration) / duration, 3),
                        "text": c.get("text", ""),
                    }
                    for c in comments
                    if isinstance(c.get("at_seconds"), int | float)
                ]
                + identity_marks(recording.call_id, duration),
                "timeline": timeline,
            }
        )
    return found
