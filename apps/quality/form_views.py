"""The evaluation forms' pages: the list (new, edit, archive, restore) and the editor, where sections and
questions are built on the page (static/js/form-editor.js) and saved as the form's next version; the
evaluations already made keep theirs. A bad form comes back as typed, the error beside its field."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound
from apps.core.validation import whole_number

from . import actions
from .form_editing import do_set_form_archived
from .models import EvaluationForm
from .scoring import FORMULA, KINDS
from .selectors import EVALUATORS

MAX_BODY = 200_000  # characters of a form's JSON

STARTER = {
    "sections": [
        {
            "title": "",
            "questions": [
                {"id": "q1", "text": "", "kind": "yes_no", "weight": 1, "allow_na": False, "critical": False}
            ],
        }
    ]
}


def _evaluator(request: HttpRequest) -> User | None:
    user = cast(User, request.user)
    return user if user.role in EVALUATORS else None


@login_required
@require_http_methods(["GET", "POST"])
def forms_page(request: HttpRequest) -> HttpResponse:
    user = _evaluator(request)
    if user is None:
        return render(request, "core/forbidden.html", status=403)
    if request.method == "POST":
        archived = request.POST.get("archived") == "1"
        try:
            form = do_set_form_archived(user, whole_number(request.POST.get("form")) or 0, archived)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            text = _("%(name)s archived: no new evaluation uses it.") if archived else _("%(name)s restored.")
            messages.success(request, text % {"name": form.name})
        return redirect("quality-forms")
    forms = EvaluationForm.objects.annotate(used=Count("versions__evaluations", distinct=True)).order_by(
        "archived", "name"
    )
    rows = []
    for f in forms:
        current = f.current
        count = sum(len(s["questions"]) for s in current.definition["sections"]) if current else 0
        rows.append({"form": f, "version": current.number if current else None, "questions": count, "used": f.used})
    return render(request, "quality/forms.html", {"rows": rows})


def _definition_from(request: HttpRequest) -> tuple[Any, str]:
    raw = str(request.POST.get("definition", ""))
    if len(raw) > MAX_BODY:
        return None, ""
    try:
        return json.loads(raw), raw
    except ValueError:
        return raw, raw  # the action says what is wrong with it


@login_required
@require_http_methods(["GET", "POST"])
def form_editor_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _evaluator(request)
    if user is None:
        return render(request, "core/forbidden.html", status=403)
    form = EvaluationForm.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and form is None:
        context = {"title": _("Not found"), "message": _("No such form."), "status": 404}
        return render(request, "core/error.html", context, status=404)
    current = form.current if form else None
    definition: Any = current.definition if current else STARTER
    name = form.name if form else ""
    error: ApplicationError | None = None
    raw = json.dumps(definition, indent=2, ensure_ascii=False)
    if request.method == "POST":
        name = str(request.POST.get("name", ""))
        definition, raw = _definition_from(request)
        try:
            if form is None:
                form = actions.do_create_form(user, name, definition)
                messages.success(request, _("Form created: evaluations can use it now."))
            else:
                actions.do_revise_form(user, form.pk, name=name, definition=definition)
                messages.success(
                    request,
                    _("Saved as version %(n)d: evaluations already made keep theirs.") % {"n": form.current.number},  # type: ignore[union-attr]
                )
        except (ApplicationError, NotFound) as exc:
            error = exc
        else:
            return redirect("quality-form", pk=form.pk)
    versions = list(form.versions.order_by("-number").select_related("created_by")[:20]) if form else []
    return render(
        request,
        "quality/form_editor.html",
        {
            "form": form,
            "name": name,
            "definition": definition if isinstance(definition, dict) else STARTER,
            "definition_json": raw,
            "labels": _labels(),
            "current": current,
            "versions": versions,
            "formula": FORMULA,
            "kinds": KINDS,
            "error": error,
            "error_fields": dict(error.fields or {}) if error else {},
        },
        status=error.status if error else 200,
    )


def _labels() -> dict[str, Any]:
    """The editor's words (static/js/form-editor.js), translated here."""
    kinds = {"yes_no": _("Yes / no"), "scale": _("Scale"), "choice": _("Choice"), "text": _("Text (not scored)")}
    return {
        "kinds": [[k, kinds[k]] for k in KINDS],
        "section": _("Section"),
        "section_title": _("Section title"),
        "question": _("Question"),
        "kind": _("Answer"),
        "weight": _("Weight"),
        "critical": _("Critical (a no fails the evaluation)"),
        "allow_na": _("N/A allowed"),
        "scale_max": _("Top of the scale (2-10)"),
        "options": _("Options and their points (0-100)"),
        "option": _("Option"),
        "points": _("Points"),
        "add_option": _("Add an option"),
        "remove_option": _("Remove option"),
        "add_question": _("Add a question"),
        "remove_question": _("Remove question"),
        "remove_section": _("Remove section"),
        "remove": _("Remove"),
        "move_up": _("Move up"),
        "move_down": _("Move down"),
        "auto": {
            "label": _("Answered automatically"),
            "none": _("No: the evaluator answers"),
            "phrase": _("Yes if a phrase was said or written"),
            "sentiment": _("Yes if the sentiment is at least"),
            "party": _("By"),
            "agent": _("the agent"),
            "customer": _("the customer"),
            "phrases": _("Phrases (comma-separated)"),
            "within": _("Within the first seconds (empty: any time)"),
            "at_least": _("At least (-1 to 1)"),
            "of": _("Of"),
            "overall": _("the whole conversation"),
            "end": _("its end"),
        },
    }
