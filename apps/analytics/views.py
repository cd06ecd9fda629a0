"""The analytics page (supervisors and up): customers' sentiment over time, topics by day and by queue,
the top keywords, what the analyses cost, and the tenant's topics (add, change, remove)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.validation import whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from . import actions
from .models import InteractionAnalysis, Topic
from .selectors import parse_range, tenant_today, trends


def _phrases(raw: str) -> list[str]:
    """Phrases typed one per line or separated by commas (either kind: ASCII or Chinese)."""
    return [p.strip() for p in raw.replace("\uff0c", ",").replace("\n", ",").split(",") if p.strip()]


@login_required
@require_http_methods(["GET", "POST"])
def analytics_page(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if not user.is_manager:
        return render(request, "core/forbidden.html", status=403)
    error: ApplicationError | None = None
    if request.method == "POST":
        step = str(request.POST.get("step", ""))
        try:
            if step == "delete_topic":
                actions.do_delete_topic(user, whole_number(request.POST.get("topic")) or 0)
                messages.success(request, _("Topic removed."))
            else:
                topic_id = whole_number(request.POST.get("topic")) if step == "edit_topic" else None
                topic = actions.do_save_topic(
                    user,
                    name=request.POST.get("name", ""),
                    phrases=_phrases(str(request.POST.get("phrases", ""))),
                    topic_id=topic_id,
                )
                messages.success(
                    request,
                    _("Topic “%(name)s” saved: interactions analysed from now on are matched.") % {"name": topic.name},
                )
            return redirect("analytics")
        except ApplicationError as exc:
            error = exc
    range_error: ApplicationError | None = None
    try:
        start, end, queue, channel = parse_range(request.GET, tenant_today())
    except ApplicationError as exc:
        range_error = exc
        start, end, queue, channel = parse_range({}, tenant_today())
    data = trends(start, end, queue=queue, channel=channel)
    analysed = InteractionAnalysis.objects.filter(day__gte=start, day__lte=end)
    if queue is not None:
        analysed = analysed.filter(queue_id=queue)
    if channel is not None:
        analysed = analysed.filter(channel=channel)
    totals = analysed.aggregate(n=Count("pk"), customer=Avg("customer_score"), end=Avg("end_score"))
    calls = [a for a in analysed.filter(call__isnull=False).values_list("cost", flat=True)[:2000] if a.get("ratio")]
    chart = {
        "days": data["days"],
        "customer": [row["customer"] for row in data["sentiment"]],
        "end": [row["end"] for row in data["sentiment"]],
        "topics": _topic_series(data),
        "labels": {"time": _("Time"), "customer": _("Customer, overall"), "end": _("Customer, at the end")},
    }
    queue_names = dict(Queue.objects.values_list("pk", "name"))
    by_queue: dict[Any, dict[str, int]] = {}
    for row in data["topics"]["by_queue"]:
        by_queue.setdefault(row["queue"], {})[row["topic"]] = row["count"]
    topic_names = [t["topic"] for t in data["topics"]["totals"]]
    return render(
        request,
        "analytics/analytics.html",
        {
            "data": data,
            "chart": chart,
            "values": {"from": start.isoformat(), "to": end.isoformat(), "queue": queue, "channel": channel or ""},
            "queues": sorted(queue_names.items(), key=lambda kv: kv[1]),
            "channels": Channel.choices,
            "totals": {
                "interactions": totals["n"],
                "customer": round(totals["customer"], 2) if totals["customer"] is not None else None,
                "end": round(totals["end"], 2) if totals["end"] is not None else None,
                "calls": len(calls),
                "cost_ratio": round(sum(c["ratio"] for c in calls) / len(calls), 3) if calls else None,
            },
            "topic_names": topic_names,
            "queue_rows": [
                {"name": queue_names.get(q) or _("No queue"), "counts": [counts.get(t, 0) for t in topic_names]}
                for q, counts in by_queue.items()
            ],
            "topics": Topic.objects.order_by("name"),
            "error": error,
            "range_error": range_error,
            "posted": request.POST,
        },
        status=error.status if error else (400 if range_error else 200),
    )


def _topic_series(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each topic's count per day (the chart's lines), the most frequent first (eight at most)."""
    names = [t["topic"] for t in data["topics"]["totals"]][:8]
    counts = {(r["topic"], r["day"]): r["count"] for r in data["topics"]["by_day"]}
    return [{"name": n, "counts": [counts.get((n, d), 0) for d in data["days"]]} for n in names]
