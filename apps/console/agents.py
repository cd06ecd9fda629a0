"""Settings: agents' routing profiles. Per agent: skills with levels (1 to 5), languages, how many
conversations of each channel at once, teams, and the queues they answer. Saved through the REST
API's AgentSerializer (the same checks) whose save calls agents' do_update_agent (audit rows, and
routing forgets its plans). Owners, admins and supervisors edit these (supervisors staff queues);
the team itself (who is an agent, roles) is on the Team page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from apps.agents.apis import AgentSerializer
from apps.agents.models import CHANNELS, AgentProfile, Channel, Skill, Team
from apps.core.errors import ApplicationError
from apps.routing.models import Queue

EDITORS = {"owner", "admin", "supervisor"}
LEVELS = (1, 2, 3, 4, 5)


def _role_in(request: HttpRequest, roles: set[str]) -> bool:
    return bool(request.user.is_authenticated and request.user.role in roles)  # type: ignore[union-attr]


def _agents() -> Any:
    return (
        AgentProfile.objects.select_related("user")
        .filter(user__is_active=True)
        .prefetch_related("teams", "queues")
        .order_by("user__full_name", "user__email")
    )


def _form_data(post: QueryDict, skills: list[Skill]) -> dict[str, Any]:
    """The POSTed form as the API's JSON (numbers stay text: the serializer says what is wrong)."""
    levels: dict[str, Any] = {}
    for skill in skills:
        value = post.get(f"skill_{skill.name}", "").strip()
        if value:
            levels[skill.name] = int(value) if value.lstrip("-").isdigit() else value
    data: dict[str, Any] = {
        "skills": levels,
        "languages": [v.strip() for v in post.get("languages", "").replace(";", ",").split(",") if v.strip()],
        "teams": [int(v) for v in post.getlist("teams") if v.isdigit()],
        "queues": [int(v) for v in post.getlist("queues") if v.isdigit()],
    }
    for channel in CHANNELS:
        data[f"capacity_{channel}"] = post.get(f"capacity_{channel}", "").strip()
    return data


def _flat(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [e for v in errors.values() for e in _flat(v)]
    if isinstance(errors, list):
        return [e for v in errors for e in _flat(v)]
    return [str(errors)]


def _context(agent: AgentProfile, values: dict[str, Any] | None, errors: dict[str, Any]) -> dict[str, Any]:
    skills = list(Skill.objects.order_by("name"))
    if values is None:
        values = {
            "skills": dict(agent.skill_levels or {}),
            "languages": list(agent.languages or []),
            "teams": list(agent.teams.values_list("pk", flat=True)),
            "queues": list(agent.queues.values_list("pk", flat=True)),  # type: ignore[attr-defined]
            **{f"capacity_{c}": agent.capacity(c) for c in CHANNELS},
        }
    skill_errors = errors.get("skills", {})
    skill_rows = [
        {
            "skill": s,
            "level": values["skills"].get(s.name),
            "errors": _flat(skill_errors.get(s.name, [])) if isinstance(skill_errors, dict) else [],
        }
        for s in skills
    ]
    general_skill_errors = _flat(skill_errors) if not isinstance(skill_errors, dict) else []
    labels = dict(Channel.choices)
    capacity = [
        {
            "name": f"capacity_{c}",
            "label": labels[c],
            "value": values.get(f"capacity_{c}"),
            "errors": _flat(errors.get(f"capacity_{c}", [])),
        }
        for c in CHANNELS
    ]
    shown = {k: _flat(v) for k, v in errors.items() if k != "skills" and not k.startswith("capacity_")}
    if general_skill_errors:
        shown["skills"] = general_skill_errors
    return {
        "agent": agent,
        "values": values,
        "languages_text": ", ".join(str(v) for v in values["languages"]),
        "skill_rows": skill_rows,
        "levels": LEVELS,
        "capacity": capacity,
        "errors": shown,
        "any_error": bool(errors),
        "teams": Team.objects.order_by("name"),
        "queues": Queue.objects.order_by("name"),
    }


@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    if not _role_in(request, EDITORS):
        return render(request, "core/forbidden.html", status=403)
    return render(request, "console/agents.html", {"agents": _agents(), "channels": CHANNELS})


@login_required
@require_http_methods(["GET", "POST"])
def agent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not _role_in(request, EDITORS):
        return render(request, "core/forbidden.html", status=403)
    agent = get_object_or_404(_agents(), pk=pk)
    if request.method == "GET":
        return render(request, "console/agent_edit.html", _context(agent, None, {}))
    data = _form_data(request.POST, list(Skill.objects.all()))
    serializer = AgentSerializer(agent, data=data, partial=True, context={"request": request})
    errors: dict[str, Any] = {}
    if serializer.is_valid():
        try:
            agent = serializer.save()
        except ApplicationError as exc:
            errors = exc.fields or {"skills": [exc.message]}
    else:
        errors = dict(serializer.errors)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    if errors:
        context = _context(agent, data, errors)
        status = 200 if htmx else 400
    else:
        context = _context(get_object_or_404(_agents(), pk=pk), None, {})
        context["saved"] = True
        status = 200
    template = "console/_agent_form.html" if htmx else "console/agent_edit.html"
    return render(request, template, context, status=status)
