"""Workforce management's pages: the staffing calculator (Erlang C, or Erlang A with a patience)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.errors import ValidationFailed

from .erlang import figures_for
from .selectors import staffing_json, staffing_request

SUPERVISORS = {"owner", "admin", "supervisor"}
FIELDS = (
    ("volume", "100"),
    ("interval_minutes", "30"),
    ("aht_seconds", "240"),
    ("target_service_level", "80"),
    ("target_seconds", "20"),
    ("max_occupancy", "85"),
    ("shrinkage", "30"),
    ("patience_seconds", ""),
)


def _number(raw: str) -> Any:
    """A decimal typed in a field (a comma taken for a point), None when empty, or what was typed."""
    text = raw.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return raw  # the checks say what is wrong with it


@login_required
@require_GET
def staffing_page(request: HttpRequest) -> HttpResponse:
    if str(getattr(request.user, "role", "")) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    values = {name: request.GET.get(name, default) for name, default in FIELDS}
    data = {name: _number(str(value)) for name, value in values.items()}
    result: dict[str, Any] | None = None
    levels: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    message = ""
    try:
        staffing = staffing_request(data)[0]
    except ValidationFailed as exc:
        errors, message = dict(exc.fields or {}), exc.message
    else:
        result = staffing_json(staffing)
        low = max(1, staffing.agents_raw - 3)
        levels_of = range(low, staffing.agents_raw + 4) if staffing.agents_raw else range(0)  # no work: no table
        for agents in levels_of:
            f = figures_for(
                load=staffing.offered_erlangs,
                agents=agents,
                aht_seconds=float(data["aht_seconds"]),
                target_seconds=float(data["target_seconds"]),
                patience_seconds=data["patience_seconds"],
            )
            levels.append(
                {
                    "agents": agents,
                    "chosen": agents == staffing.agents_raw,
                    "service_level": round(f.service_level * 100, 1),
                    "asa_seconds": round(f.asa_seconds, 1) if f.asa_seconds != float("inf") else None,
                    "occupancy": round(f.occupancy * 100, 1),
                    "probability_of_waiting": round(f.probability_of_waiting * 100, 1),
                    "abandon_rate": round(f.abandon_rate * 100, 1) if f.abandon_rate is not None else None,
                }
            )
    return render(
        request,
        "wfm/staffing.html",
        {
            "values": values,
            "result": result,
            "levels": levels,
            "errors": errors,
            "message": message,
            "erlang_a": bool(data.get("patience_seconds")),
        },
        status=400 if errors else 200,
    )
