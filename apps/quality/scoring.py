"""Evaluation forms' questions and how an evaluation is scored, defined once (shown to evaluators and
agents as `FORMULA`).

Each scored question gives a fraction: yes / no 1 or 0; a scale of 1..max, (answer - 1) / (max - 1); a
single choice, the chosen option's points / 100. Text questions are not scored. An answer of N/A (where
the question allows it) leaves the question out. Score = 100 x sum(weight x fraction) / sum(weight)
over the questions answered and scored. A critical question whose fraction is 0 (a "no", the lowest
point of a scale, an option worth 0 points) fails the whole evaluation: its score is 0.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.analytics.auto import clean_rule
from apps.core.errors import ValidationFailed

KINDS = ("yes_no", "scale", "choice", "text")
NA = "na"
FORMULA = gettext_lazy(
    "Score = 100 x sum(weight x result) / sum(weight) over the questions answered, where a yes is 1 and a no 0, "
    "a scale answer (answer - 1) / (top - 1), a choice its points / 100; N/A and text questions do not count. "
    "A critical question answered with no, the lowest point or 0 points makes the score 0."
)
MAX_SECTIONS, MAX_QUESTIONS = 20, 100


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def clean_definition(value: Any) -> dict[str, Any]:
    """A form's sections and questions, checked; a bad value names where it is (sections[0].questions[2].weight)."""
    if not isinstance(value, dict) or not isinstance(value.get("sections"), list) or not value["sections"]:
        raise _fail("sections", _("A form has 1 to %(n)d sections.") % {"n": MAX_SECTIONS})
    if len(value["sections"]) > MAX_SECTIONS:
        raise _fail("sections", _("A form has 1 to %(n)d sections.") % {"n": MAX_SECTIONS})
    seen: set[str] = set()
    sections = []
    count = 0
    for s, section in enumerate(value["sections"]):
        where = f"sections[{s}]"
        if not isinstance(section, dict):
            raise _fail(where, _("A section is an object with a title and questions."))
        title = section.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            raise _fail(f"{where}.title", _("A title of 1 to 200 characters."))
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            raise _fail(f"{where}.questions", _("A section has at least one question."))
        cleaned = []
        for q, question in enumerate(questions):
            count += 1
            if count > MAX_QUESTIONS:
                raise _fail("sections", _("A form has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
            cleaned.append(_clean_question(question, f"{where}.questions[{q}]", seen, count))
        sections.append({"title": title.strip(), "questions": cleaned})
    return {"sections": sections}


def _clean_question(question: Any, where: str, seen: set[str], n: int) -> dict[str, Any]:
    if not isinstance(question, dict):
        raise _fail(where, _("A question is an object."))
    text = question.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 500:
        raise _fail(f"{where}.text", _("A question of 1 to 500 characters."))
    kind = question.get("kind", "yes_no")
    if kind not in KINDS:
        raise _fail(f"{where}.kind", _("One of: %(k)s.") % {"k": ", ".join(KINDS)})
    qid = question.get("id") or f"q{n}"
    if not isinstance(qid, str) or not qid.replace("_", "").isalnum() or len(qid) > 40 or qid in seen:
        raise _fail(f"{where}.id", _("A unique id of letters, digits and _ (40 at most)."))
    seen.add(qid)
    weight = question.get("weight", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 <= weight <= 100:
        raise _fail(f"{where}.weight", _("A weight from 0 to 100."))
    out: dict[str, Any] = {
        "id": qid,
        "text": text.strip(),
        "kind": kind,
        "weight": 0 if kind == "text" else weight,
        "allow_na": bool(question.get("allow_na", False)),
        "critical": bool(question.get("critical", False)) and kind != "text",
    }
    if question.get("auto") is not None:
        # Answered from interaction analytics when an evaluation starts (apps/analytics/auto.py has the
        # rules); a yes / no question only, and the evaluator can change the answer.
        if kind != "yes_no":
            raise _fail(f"{where}.auto", _("Only a yes / no question can be answered automatically."))
        rule, errors = clean_rule(question["auto"], f"{where}.auto")
        if rule is None:
            field, messages = next(iter(errors.items()))
            raise _fail(field, messages[0])
        out["auto"] = rule
    if kind == "scale":
        top = question.get("scale_max", 5)
        if not isinstance(top, int) or isinstance(top, bool) or not 2 <= top <= 10:
            raise _fail(f"{where}.scale_max", _("A scale from 1 to 2-10."))
        out["scale_max"] = top
    if kind == "choice":
        options = question.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 10:
            raise _fail(f"{where}.options", _("2 to 10 options, each with a label and points (0-100)."))
        out["options"] = []
        for o, option in enumerate(options):
            label = option.get("label") if isinstance(option, dict) else None
            points = option.get("points") if isinstance(option, dict) else None
            if (
                not isinstance(label, str)
                or not label.strip()
                or not isinstance(points, int | float)
                or isinstance(points, bool)
                or not 0 <= points <= 100
            ):
                raise _fail(f"{where}.options[{o}]", _("A label and points from 0 to 100."))
            out["options"].append({"label": label.strip()[:200], "points": points})
    return out


def questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for section in definition["sections"] for q in section["questions"]]


def _fraction(question: dict[str, Any], value: Any) -> float | None:
    """The answer's result from 0 to 1 (None: not scored); raises on an answer the question cannot take."""
    kind = question["kind"]
    if value == NA:
        if not question["allow_na"]:
            raise _fail(question["id"], _("This question cannot be answered N/A."))
        return None
    if kind == "text":
        if not isinstance(value, str) or len(value) > 2000:
            raise _fail(question["id"], _("Text of 2,000 characters at most."))
        return None
    if kind == "yes_no":
        if value not in (True, False, "yes", "no"):
            raise _fail(question["id"], _("Yes or no."))
        return 1.0 if value in (True, "yes") else 0.0
    if kind == "scale":
        top = question["scale_max"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            raise _fail(question["id"], _("A whole number from 1 to %(n)d.") % {"n": top})
        return (value - 1) / (top - 1)
    options = question["options"]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(options):
        raise _fail(question["id"], _("The number of one of the options, from 0."))
    return float(options[value]["points"]) / 100


def result_of(question: dict[str, Any], value: Any) -> float | None:
    """An answer's result from 0 to 1 (None: N/A or not scored)."""
    return _fraction(question, value)


def check_answers(definition: dict[str, Any], answers: Any, *, complete: bool) -> dict[str, Any]:
    """The answers, each checked against its question (unknown questions refused); `complete`: every
    question that is not text must have an answer (N/A where allowed)."""
    if not isinstance(answers, dict):
        raise _fail("answers", _("Answers are an object of question ids."))
    by_id = {q["id"]: q for q in questions(definition)}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise _fail("answers", _("No such question: %(q)s.") % {"q": ", ".join(unknown)[:200]})
    for qid, value in answers.items():
        _fraction(by_id[qid], value)
    if complete:
        missing = [qid for qid, q in by_id.items() if q["kind"] != "text" and qid not in answers]
        if missing:
            raise ValidationFailed(
                _("Answer every question before submitting (N/A where it is allowed)."),
                fields={qid: [_("Not answered.")] for qid in missing},
            )
    return dict(answers)


def score(definition: dict[str, Any], answers: dict[str, Any]) -> tuple[float | None, bool]:
    """(score 0-100 or None when nothing is scored, whether a critical question failed)."""
    weighted = total = 0.0
    critical_failed = False
    for question in questions(definition):
        if question["id"] not in answers:
            continue
        fraction = _fraction(question, answers[question["id"]])
        if fraction is None:
            continue
        if question["critical"] and fraction == 0:
            critical_failed = True
        weighted += question["weight"] * fraction
        total += question["weight"]
    if critical_failed:
        return 0.0, True
    if not total:
        return None, False
    result = 100 * weighted / total
    return (round(result, 2) if math.isfinite(result) else None), False
