"""The forecast page: a queue's contacts and handle time per interval from its history, the model's
accuracy on the held-out week, the agents each interval needs (Erlang C with the planner's targets),
and the planner's overrides and holidays, edited in place."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.hooks import tenant_time_zone
from apps.core.validation import whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from . import actions
from .models import Holiday
from .selectors import forecast_request, staffing_request
from .views import _number

SUPERVISORS = {"owner", "admin", "supervisor"}

KEPT = ("queue", "channel", "from", "days", "interval_minutes", "day", "sl", "t", "shrinkage", "occupancy")
TARGETS = (("sl", "target_service_level", "80"), ("t", "target_seconds", "20"), ("shrinkage", "shrinkage", "30"),
           ("occupancy", "max_occupancy", "85"))  # fmt: skip


def _back(request: HttpRequest) -> HttpResponse:
    kept = {k: request.POST[k] for k in KEPT if request.POST.get(k)}
    return redirect(f"{reverse('wfm-forecast')}?{urlencode(kept)}")


def _post(request: HttpRequest) -> str:
    user = cast(User, request.user)
    step = request.POST.get("step", "")
    if step == "override":
        minutes = whole_number(request.POST.get("interval_minutes"))
        found = actions.do_set_override(
            user,
            {
                "queue": whole_number(request.POST.get("queue")),
                "channel": request.POST.get("channel", ""),
                "start": request.POST.get("start", ""),
                "interval_minutes": minutes,
                "volume": _number(request.POST.get("volume", "")),
                "aht_seconds": _number(request.POST.get("aht_seconds", "")),
            },
        )
        return _("Override saved.") if found is not None else _("Override removed: the forecast's own figure is back.")
    if step == "holiday":
        factor = _number(request.POST.get("factor", "")) or 0.0
        holiday = actions.do_save_holiday(
            user,
            {
                "day": request.POST.get("holiday_day", ""),
                "name": request.POST.get("holiday_name", ""),
                "factor": factor / 100 if isinstance(factor, float) else factor,
            },
        )
        return _("Holiday %(day)s saved.") % {"day": holiday.day.isoformat()}
    if step == "holiday_delete":
        actions.do_delete_holiday(user, whole_number(request.POST.get("holiday")) or 0)
        return _("Holiday removed.")
    raise ApplicationError(_("Unknown step."), code="bad_step", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def forecast_page(request: HttpRequest) -> HttpResponse:
    if str(getattr(request.user, "role", "")) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    if request.method == "POST":
        try:
            messages.success(request, _post(request))
        except ValidationFailed as exc:
            detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
            messages.error(request, f"{exc.message} {detail}".strip())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return _back(request)
    queues = list(Queue.objects.order_by("name"))
    zone = tenant_time_zone()
    values = {
        "queue": request.GET.get("queue") or (str(queues[0].pk) if queues else ""),
        "channel": request.GET.get("channel", ""),
        "from": request.GET.get("from") or (datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)).isoformat(),
        "days": request.GET.get("days", "7"),
        "interval_minutes": request.GET.get("interval_minutes", "30"),
        **{short: request.GET.get(short, default) for short, _name, default in TARGETS},
    }
    context: dict[str, Any] = {
        "values": values,
        "queues": queues,
        "channels": Channel.choices,
        "holidays": Holiday.objects.order_by("day"),
        "errors": {},
        "message": "",
        "time_zone": zone,
    }
    try:
        result = forecast_request({**values, "time_zone": zone})
        targets = {name: _number(str(values[short])) for short, name, _default in TARGETS}
        minutes = result["interval_minutes"]
        work = [{"volume": r["volume"], "aht_seconds": r["aht_seconds"] or 1.0} for r in result["intervals"]]
        staffed = staffing_request({**targets, "interval_minutes": minutes, "intervals": work})
    except ValidationFailed as exc:
        context["errors"], context["message"] = dict(exc.fields or {}), exc.message
        return render(request, "wfm/forecast.html", context, status=400)
    context.update(_result_context(request, result, staffed))
    return render(request, "wfm/forecast.html", context)


def _result_context(request: HttpRequest, result: dict[str, Any], staffed: list[Any]) -> dict[str, Any]:
    rows = []
    for r, s in zip(result["intervals"], staffed, strict=True):
        start = datetime.fromisoformat(r["start"])
        rows.append(
            {
                **r,
                "day": start.date().isoformat(),
                "time": start.strftime("%H:%M"),
                "volume_shown": round(r["volume"], 1),
                "aht_shown": round(r["aht_seconds"]) if r["aht_seconds"] is not None else "",
                "agents": s.agents_scheduled if r["volume"] else 0,
            }
        )
    days = sorted({r["day"] for r in rows})
    day = request.GET.get("day") if request.GET.get("day") in days else (days[0] if days else "")
    volume = sum(r["volume"] for r in rows)
    handled = sum(r["volume"] * (r["aht_seconds"] or 0) for r in rows)
    chart = {
        "x": [int(datetime.fromisoformat(r["start"]).timestamp()) for r in rows],
        "volume": [round(r["volume"], 2) for r in rows],
        "aht": [round(r["aht_seconds"], 1) if r["aht_seconds"] is not None else None for r in rows],
        "agents": [r["agents"] for r in rows],
        "time_zone": result["time_zone"],
        "labels": {
            "time": _("Time"),
            "volume": _("Contacts"),
            "aht": _("Handle time (s)"),
            "agents": _("Agents needed"),
        },
    }
    return {
        "result": result,
        "rows": [r for r in rows if r["day"] == day],
        "days": days,
        "day": day,
        "chart": chart,
        "totals": {
            "volume": round(volume),
            "aht": round(handled / volume) if volume else 0,
            "peak_agents": max((r["agents"] for r in rows), default=0),
            "overrides": sum(1 for r in rows if r["overridden"]),
        },
    }
