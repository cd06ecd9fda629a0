"""Settings: queues. The form posts what the REST API takes and goes through the same serializer
(`routing.apis.QueueSerializer`) and actions, so the page and the API validate alike. The routing
step editor checks each expression as it is typed and says how many of the queue's members match."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.agents.models import AgentProfile, AgentState
from apps.routing.apis import QueueSerializer
from apps.routing.expressions import ExpressionError, known_names, parse
from apps.routing.expressions.compile import AgentFacts, evaluate
from apps.routing.models import BusinessHours, Queue

FIELDS = (
    "name",
    "priority",
    "sla_percent",
    "sla_seconds",
    "business_hours",
    "max_wait_seconds",
    "max_size",
    "overflow_action",
    "overflow_queue",
    "wrap_up_seconds",
    "offer_timeout_seconds",
)
FLAGS = ("record_calls", "prefer_last_agent")


def _allowed(request: HttpRequest, roles: set[str]) -> bool:
    return bool(request.user.is_authenticated and request.user.role in roles)  # type: ignore[union-attr]


def _form_data(post: QueryDict) -> dict[str, Any]:
    """The POSTed form as the API's JSON: empty numbers are null, steps are rows."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = post.get(name, "").strip()
        data[name] = value if value != "" else None
    if data["overflow_action"] is None:
        data["overflow_action"] = "none"
    for name in FLAGS:
        data[name] = post.get(name) == "on"
    data["members"] = [int(v) for v in post.getlist("members") if v.isdigit()]
    steps = []
    for expression, duration in zip(post.getlist("step_expression"), post.getlist("step_duration"), strict=False):
        if not expression.strip() and not duration.strip():
            continue  # an empty row
        steps.append({"expression": expression.strip(), "duration_seconds": duration.strip() or None})
    data["steps"] = steps
    return data


def _context(queue: Queue, values: dict[str, Any] | None, errors: dict[str, Any]) -> dict[str, Any]:
    if values is None:
        values = {
            name: getattr(queue, f"{name}_id" if name in {"business_hours", "overflow_queue"} else name)
            for name in FIELDS
        }
        values.update({name: getattr(queue, name) for name in FLAGS})
        values["members"] = list(queue.members.values_list("pk", flat=True))
        values["steps"] = [
            {"expression": s.expression, "duration_seconds": s.duration_seconds}
            for s in queue.steps.order_by("order", "pk")
        ]
    raw_step_errors = errors.get("steps")
    step_errors: list[Any] = raw_step_errors if isinstance(raw_step_errors, list) else []
    rows = []
    for n, step in enumerate([*values["steps"], {"expression": "", "duration_seconds": None}]):
        problem = step_errors[n] if n < len(step_errors) and isinstance(step_errors[n], dict) else {}
        rows.append({"n": n, **step, "errors": [str(e) for v in problem.values() for e in v]})
    flat = {k: [str(e) for e in v] for k, v in errors.items() if k != "steps" and isinstance(v, list)}
    if isinstance(raw_step_errors, list) and not any(isinstance(e, dict) and e for e in step_errors):
        flat["steps"] = [str(e) for e in step_errors if not isinstance(e, dict)]
    return {
        "queue": queue,
        "values": values,
        "errors": flat,
        "rows": rows,
        "agents": AgentProfile.objects.select_related("user").filter(user__is_active=True).order_by("user__full_name"),
        "hours": BusinessHours.objects.order_by("name"),
        "queues": Queue.objects.exclude(pk=queue.pk).order_by("name"),
        "overflow_choices": Queue.Overflow.choices,
    }


@login_required
def queue_list(request: HttpRequest) -> HttpResponse:
    if not _allowed(request, {"owner", "admin", "supervisor"}):
        return render(request, "core/forbidden.html", status=403)
    queues = Queue.objects.order_by("name").prefetch_related("members")
    return render(request, "console/queues.html", {"queues": queues, "can_edit": _allowed(request, {"owner", "admin"})})


@login_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not _allowed(request, {"owner", "admin"}):
        return render(request, "core/forbidden.html", status=403)
    queue = get_object_or_404(Queue, pk=pk)
    if request.method == "GET":
        return render(request, "console/queue_edit.html", _context(queue, None, {}))
    data = _form_data(request.POST)
    serializer = QueueSerializer(queue, data=data, context={"request": request})
    if serializer.is_valid():
        queue = serializer.save()
        context = _context(queue, None, {})
        context["saved"] = True
        status = 200
    else:
        context = _context(queue, data, serializer.errors)
        status = 200 if request.htmx else 400  # type: ignore[attr-defined]
    template = "console/_queue_form.html" if request.htmx else "console/queue_edit.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@login_required
@require_POST
def check_step(request: HttpRequest, pk: int) -> HttpResponse:
    """One routing step as it is typed: its error, or how many of the queue's members match now."""
    if not _allowed(request, {"owner", "admin"}):
        return HttpResponse(status=403)
    queue = get_object_or_404(Queue, pk=pk)
    text = request.POST.get("step_expression", "").strip()
    if not text:
        return render(request, "console/_step_check.html", {"empty": True})
    try:
        node = parse(text, known_names())
    except ExpressionError as exc:
        return render(request, "console/_step_check.html", {"error": str(exc)})
    members = list(queue.members.select_related("user").filter(user__is_active=True))
    matching = [
        m
        for m in members
        if evaluate(node, AgentFacts(m.skill_levels or {}, m.languages or [], m.location or "", m.attributes or {}), {})
    ]
    available = sum(1 for m in matching if m.state == AgentState.AVAILABLE)
    message = _("%(n)d of %(total)d members match now (%(available)d available).") % {
        "n": len(matching),
        "total": len(members),
        "available": available,
    }
    return render(request, "console/_step_check.html", {"message": message, "none": not matching})
