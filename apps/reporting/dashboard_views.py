"""Pages of shared dashboards: the list, one dashboard (its reports, read-only links, mail schedules)
and what a read-only link shows (no sign-in, nothing else of the product)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.agents.models import Team
from apps.core.errors import ApplicationError
from apps.core.validation import whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from .dashboards import (
    INTERVALS,
    LINK_DAYS,
    RANGES,
    SLICES,
    dashboard_for_link,
    dashboard_reports,
    do_add_dashboard_report,
    do_create_dashboard,
    do_create_dashboard_link,
    do_delete_dashboard,
    do_delete_dashboard_schedule,
    do_remove_dashboard_report,
    do_revoke_dashboard_link,
    do_save_dashboard_schedule,
    do_update_dashboard,
    link_path,
)
from .models import Dashboard, DashboardSchedule, ReportingSettings

SUPERVISORS = {"owner", "admin", "supervisor"}
WEEKDAYS = (
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
)


def _int(value: Any) -> Any:
    number = whole_number(value)
    return number if number is not None else value


@login_required
@require_http_methods(["GET", "POST"])
def dashboards_page(request: HttpRequest) -> HttpResponse:
    if str(getattr(request.user, "role", "")) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    error = None
    if request.method == "POST":
        try:
            dashboard = do_create_dashboard(_user(request), request.POST.get("name"))
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Dashboard created. Add the reports it should show."))
            return redirect("reports-dashboard", pk=dashboard.pk)
    now = timezone.now()
    dashboards = [
        {
            "d": d,
            "reports": len(d.reports),
            "links": sum(1 for link in d.links.all() if link.revoked_at is None and link.expires_at > now),
            "schedules": len(d.schedules.all()),
        }
        for d in Dashboard.objects.prefetch_related("links", "schedules").order_by("name", "pk")
    ]
    return render(
        request,
        "reporting/dashboards.html",
        {"dashboards": dashboards, "error": error, "name": request.POST.get("name", "")},
        status=400 if error else 200,
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# What each form of the dashboard page does, and what it says when it did it.
def _add_report(request: HttpRequest, pk: int) -> str:
    spec = {
        "slice": request.POST.get("slice"),
        "range": request.POST.get("range"),
        "interval": request.POST.get("interval"),
        "queue": request.POST.get("queue", ""),
        "team": request.POST.get("team", ""),
        "channel": request.POST.get("channel", ""),
    }
    do_add_dashboard_report(_user(request), pk, spec)
    return _("Report added.")


def _remove_report(request: HttpRequest, pk: int) -> str:
    do_remove_dashboard_report(_user(request), pk, _int(request.POST.get("index")))
    return _("Report removed.")


def _rename(request: HttpRequest, pk: int) -> str:
    do_update_dashboard(_user(request), pk, name=request.POST.get("name"))
    return _("Dashboard renamed.")


def _share(request: HttpRequest, pk: int) -> str:
    do_create_dashboard_link(_user(request), pk, _int(request.POST.get("days")))
    return _("Link created. Anyone with it can read this dashboard until it expires or you revoke it.")


def _revoke(request: HttpRequest, pk: int) -> str:
    from .models import DashboardLink

    link_id = _int(request.POST.get("link"))
    if not DashboardLink.objects.filter(pk=link_id if isinstance(link_id, int) else 0, dashboard_id=pk).exists():
        from apps.core.errors import NotFound

        raise NotFound(_("No such link."))
    do_revoke_dashboard_link(_user(request), link_id)
    return _("Link revoked: it shows nothing any more.")


def _schedule(request: HttpRequest, pk: int) -> str:
    do_save_dashboard_schedule(
        _user(request),
        pk,
        frequency=request.POST.get("frequency"),
        weekday=_int(request.POST.get("weekday", "0")),
        hour=_int(request.POST.get("hour", "7")),
        recipients=request.POST.get("recipients", ""),
    )
    return _("Mail scheduled.")


def _unschedule(request: HttpRequest, pk: int) -> str:
    schedule_id = _int(request.POST.get("schedule"))
    if not DashboardSchedule.objects.filter(
        pk=schedule_id if isinstance(schedule_id, int) else 0, dashboard_id=pk
    ).exists():
        from apps.core.errors import NotFound

        raise NotFound(_("No such schedule."))
    do_delete_dashboard_schedule(_user(request), schedule_id)
    return _("Mail stopped.")


FORMS = {
    "add_report": _add_report,
    "remove_report": _remove_report,
    "rename": _rename,
    "share": _share,
    "revoke": _revoke,
    "schedule": _schedule,
    "unschedule": _unschedule,
}


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_page(request: HttpRequest, pk: int) -> HttpResponse:
    if str(getattr(request.user, "role", "")) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    dashboard = Dashboard.objects.filter(pk=pk).first()
    if dashboard is None:
        return render(
            request,
            "core/error.html",
            {"title": _("Not found"), "message": _("No such dashboard."), "status": 404},
            status=404,
        )
    error: ApplicationError | None = None
    form = ""
    if request.method == "POST":
        form = str(request.POST.get("form", ""))
        try:
            if form == "delete":
                do_delete_dashboard(_user(request), pk)
                messages.success(request, _("Dashboard deleted."))
                return redirect("reports-dashboards")
            handler = FORMS.get(form)
            if handler is None:
                raise ApplicationError(_("Unknown form."), code="bad_form", status=400)
            messages.success(request, handler(request, pk))
            return redirect("reports-dashboard", pk=pk)
        except ApplicationError as exc:
            error = exc
        dashboard.refresh_from_db()
    now = timezone.now()
    links = [
        {
            "link": link,
            "url": request.build_absolute_uri(link_path(link)),
            "state": "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "active"),
        }
        for link in dashboard.links.order_by("-created_at")
    ]
    settings = ReportingSettings.current()
    context = {
        "dashboard": dashboard,
        "reports": dashboard_reports(dashboard, settings),
        "links": links,
        "schedules": list(dashboard.schedules.order_by("pk")),
        "error": error,
        "form": form,
        "posted": request.POST,
        "ranges": list(RANGES.items()),
        "slices": list(SLICES.items()),
        "intervals": list(INTERVALS.items()),
        "link_days": LINK_DAYS,
        "weekdays": WEEKDAYS,
        "hours": range(24),
        "queues": list(Queue.objects.order_by("name").values_list("pk", "name")),
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "channels": Channel.choices,
        "time_zone": settings.time_zone,
    }
    return render(request, "reporting/dashboard.html", context, status=error.status if error else 200)


@require_http_methods(["GET"])
def shared_dashboard_page(request: HttpRequest, token: str) -> HttpResponse:
    """What a read-only link shows: this dashboard's reports, now, and nothing else (no sign-in)."""
    try:
        dashboard, link = dashboard_for_link(token)
    except ApplicationError as exc:
        title = _("Link not valid") if exc.status == 404 else _("Link no longer valid")
        response = render(
            request,
            "core/error.html",
            {"title": title, "message": exc.message, "status": exc.status},
            status=exc.status,
        )
    else:
        # Anyone with the link may open it as often as they like: the page is made at most once a
        # minute per link and language (its figures are "as of" the time it shows).
        from django.core.cache import cache

        from apps.core.keys import redis_key
        from apps.core.tenancy import current_schema

        key = redis_key(current_schema(), "dashboard-link", link.pk, translation.get_language() or "")
        html = cache.get(key)
        if html is None:
            settings = ReportingSettings.current()
            html = render(
                request,
                "reporting/shared_dashboard.html",
                {
                    "dashboard": dashboard,
                    "reports": dashboard_reports(dashboard, settings),
                    "link": link,
                    "time_zone": settings.time_zone,
                    "at": timezone.now(),
                },
            ).content
            cache.set(key, html, 60)
        response = HttpResponse(html)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
