"""REST API of reporting: historical reports by queue, agent and channel (JSON, CSV or XLSX), the
metrics dictionary and the reporting settings."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsSupervisor, IsTenantAdmin

from .actions import do_save_reporting_settings, do_set_queue_alert
from .metrics import METRICS, SCHEDULE_METRICS, dictionary
from .models import ReportingSettings
from .scorecards import SCORECARD, do_set_team_targets, readable_agent, scorecard, team_targets
from .selectors import SLICE_NAMES, SLICES, drill_down, paged, parse_report_query, realtime_state, report


def _table(data: Any) -> tuple[list[str], list[list[Any]]]:
    """The report's rows as a table: period, the slice's id and name, then every metric."""
    rows = data.get("results", []) if isinstance(data, dict) else []
    slice_name = data.get("slice", "queue") if isinstance(data, dict) else "queue"
    header = ["period", f"{slice_name}_id", f"{slice_name}_name", *[m.name for m in METRICS]]
    body = [
        [r["period"] or "", r[slice_name]["id"], r[slice_name]["name"], *[r[m.name] for m in METRICS]] for r in rows
    ]
    return header, body


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, dict) and "error" in data:  # an error stays readable
            return JSONRenderer().render(data)
        out = io.StringIO()
        writer = csv.writer(out)
        header, body = _table(data)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in body])
        return ("\ufeff" + out.getvalue()).encode()  # the BOM: spreadsheet programs read it as UTF-8


class XlsxRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, dict) and "error" in data:
            return JSONRenderer().render(data)
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("report")
        header, body = _table(data)
        sheet.append(header)
        for row in body:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


class ReportApi(APIView):
    """`GET /api/v1/reports/{queues|agents|channels}`: supervisors and up."""

    permission_classes = [IsSupervisor]
    renderer_classes = [JSONRenderer, CsvRenderer, XlsxRenderer]
    slice = "queues"

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="A local date (2026-03-29) or a date-time with its zone"),
            OpenApiParameter("to", str, description="A local date (included) or a date-time (excluded)"),
            OpenApiParameter("interval", str, description="15min, hour, day (default), week, month or total"),
            OpenApiParameter("queue", str, description="Queue ids, comma-separated"),
            OpenApiParameter("agent", str, description="Agent ids, comma-separated"),
            OpenApiParameter("team", str, description="Team ids, comma-separated: their agents"),
            OpenApiParameter("channel", str, description="Channels, comma-separated"),
            OpenApiParameter("sl_seconds", int, description="A service-level threshold to apply to the past"),
            OpenApiParameter("format", str, description="json (default), csv or xlsx (every row)"),
            OpenApiParameter("page", int, description="JSON: the page of the slice's keys (at most 2,000 rows a page)"),
        ],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request) -> Response:
        settings = ReportingSettings.current()
        q = parse_report_query(request.query_params, self.slice, settings)
        fmt = request.query_params.get("format")
        body: dict[str, Any] = {
            "slice": SLICE_NAMES[self.slice],
            "from": q.start.isoformat(),
            "to": q.end.isoformat(),
            "interval": q.interval,
            "time_zone": q.time_zone,
        }
        if fmt in ("csv", "xlsx"):
            body["results"] = report(q, settings)  # a file holds every row
        else:
            # JSON is paged by the slice's keys (queues or agents), each with all its periods, at most
            # ROWS_PER_PAGE rows a page; `next` / `previous` are the neighbouring pages' URLs.
            one, page = paged(q, request.query_params.get("page"))
            body["results"] = report(one, settings)
            body["page"], body["pages"] = page.number, page.pages

            def link(n: int) -> str | None:
                if not 1 <= n <= page.pages:
                    return None
                query = request.query_params.copy()
                query["page"] = str(n)
                return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

            body["next"], body["previous"] = link(page.number + 1), link(page.number - 1)
        response = Response(body)
        if fmt in ("csv", "xlsx"):
            response["Content-Disposition"] = f'attachment; filename="report-{self.slice}-{q.interval}.{fmt}"'
        return response


class QueueReportApi(ReportApi):
    slice = "queues"


class AgentReportApi(ReportApi):
    slice = "agents"


class ChannelReportApi(ReportApi):
    slice = "channels"


class MetricsApi(APIView):
    """The metrics dictionary: every metric's name, label, unit and exact definition."""

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        # `results`: the reports' columns; `schedule`: the scorecards' figures kept by workforce management.
        return Response({"results": dictionary(), "schedule": dictionary(SCHEDULE_METRICS)})


class ReportingSettingsApi(APIView):
    """The tenant's time zone for reports, the short-abandon threshold and the service-level formula
    (owners and admins change them; supervisors read them)."""

    def get_permissions(self) -> list[Any]:
        return [IsSupervisor()] if self.request.method == "GET" else [IsTenantAdmin()]

    @staticmethod
    def _payload(s: ReportingSettings) -> dict[str, Any]:
        return {
            "time_zone": s.time_zone,
            "short_abandon_seconds": s.short_abandon_seconds,
            "service_level_formula": s.service_level_formula,
        }

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response(self._payload(ReportingSettings.current()))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        fields = {k: data[k] for k in ("time_zone", "short_abandon_seconds", "service_level_formula") if k in data}
        saved = do_save_reporting_settings(cast(User, request.user), **fields)
        return Response(self._payload(saved))


__all__ = ["SLICES"]


class RealtimeApi(APIView):
    """`GET /api/v1/reports/realtime`: the wallboard's state (supervisors and up)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response(realtime_state())


class QueueAlertApi(APIView):
    """`PUT /api/v1/reports/realtime/queues/{id}/alert` {longest_wait_seconds}: when the wallboard
    colours the queue's tile (supervisors and up, audited)."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def put(self, request: Request, pk: int) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        alert = do_set_queue_alert(cast(User, request.user), pk, data.get("longest_wait_seconds"))
        return Response({"queue": pk, "longest_wait_seconds": alert.longest_wait_seconds})


class DrillDownApi(APIView):
    """`GET /api/v1/reports/interactions?metric=abandoned&...`: the interactions behind a count of a
    report (the same range and filters), newest first, 200 at most (`more` says whether there are others)."""

    permission_classes = [IsSupervisor]

    @extend_schema(
        parameters=[OpenApiParameter("metric", str, description="offered, answered, abandoned, short_abandoned, ...")],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request) -> Response:
        settings = ReportingSettings.current()
        q = parse_report_query(request.query_params, "queues", settings)
        return Response(drill_down(q, str(request.query_params.get("metric", "")), settings))


class ScorecardApi(APIView):
    """`GET /api/v1/reports/scorecards/{agent_id}?period=month&date=2026-12-01`: the agent's scorecard
    (agents their own, supervisors their teams', owners and admins everyone's)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="week or month (default)"),
            OpenApiParameter("date", str, description="a day of the period (default: today)"),
        ],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request, pk: int) -> Response:
        agent = readable_agent(cast(User, request.user), pk)
        return Response(scorecard(agent, str(request.query_params.get("period") or "month"), _day(request)))


def _day(request: Request) -> date:
    from zoneinfo import ZoneInfo

    from django.utils.dateparse import parse_date

    from apps.core.errors import ValidationFailed

    raw = str(request.query_params.get("date") or "")
    if not raw:
        return datetime.now(ZoneInfo(ReportingSettings.current().time_zone)).date()
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(_("date: YYYY-MM-DD."), fields={"date": [_("A date, YYYY-MM-DD.")]})
    return day


class TeamTargetsApi(APIView):
    """`GET /api/v1/reports/targets` (supervisors and up); `PUT /api/v1/reports/targets/{team_id}`
    {metric: number or null} (owners and admins, audited)."""

    def get_permissions(self) -> list[Any]:
        return [IsSupervisor()] if self.request.method == "GET" else [IsTenantAdmin()]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        return Response({"results": team_targets(), "metrics": list(SCORECARD)})

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def put(self, request: Request, pk: int | None = None) -> Response:
        return Response({"team": pk, "targets": do_set_team_targets(cast(User, request.user), pk, request.data)})


# --- shared dashboards --------------------------------------------------------------------------


def _dashboard_json(dashboard: Any, *, figures: bool = False) -> dict[str, Any]:
    from .dashboards import dashboard_reports

    data: dict[str, Any] = {
        "id": dashboard.pk,
        "name": dashboard.name,
        "reports": dashboard.reports,
        "created_at": dashboard.created_at.isoformat(),
    }
    if figures:
        data["figures"] = [
            {
                "title": r["title"],
                "from": r["from"].isoformat(),
                "to": r["to"].isoformat(),
                "rows": [
                    {
                        "period": row["period"] or None,
                        "name": row["name"],
                        **{c["metric"]: c["text"] for c in row["cells"]},
                    }
                    for row in r["rows"]
                ],
            }
            for r in dashboard_reports(dashboard)
        ]
    return data


def _body(request: Request) -> dict[str, Any]:
    from apps.core.validation import json_object

    return dict(json_object(request.data))


def _dashboard(pk: int) -> Any:
    from apps.core.errors import NotFound

    from .models import Dashboard

    found = Dashboard.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such dashboard."))
    return found


class DashboardsApi(APIView):
    """`GET /api/v1/reports/dashboards`; `POST` {name, reports: [{slice, range, interval, queue, team,
    channel}]}: supervisors and up, audited. Ranges are relative: today, yesterday, last_7_days,
    last_30_days, this_week, last_week, this_month, last_month."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        from .models import Dashboard

        return Response({"results": [_dashboard_json(d) for d in Dashboard.objects.order_by("name", "pk")]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        from .dashboards import do_create_dashboard

        data = _body(request)
        dashboard = do_create_dashboard(cast(User, request.user), data.get("name"), data.get("reports", []))
        return Response(_dashboard_json(dashboard), status=201)


class DashboardApi(APIView):
    """`GET /api/v1/reports/dashboards/{id}` (with today's figures), `PATCH` {name, reports}, `DELETE`."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        return Response(_dashboard_json(_dashboard(pk), figures=True))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int) -> Response:
        from .dashboards import do_update_dashboard

        data = _body(request)
        dashboard = do_update_dashboard(
            cast(User, request.user), pk, name=data.get("name"), reports=data.get("reports")
        )
        return Response(_dashboard_json(dashboard))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        from .dashboards import do_delete_dashboard

        do_delete_dashboard(cast(User, request.user), pk)
        return Response(status=204)


class DashboardLinksApi(APIView):
    """`GET /api/v1/reports/dashboards/{id}/links`; `POST` {days: 1, 7, 30 or 90}: a read-only link
    (its `url` is the secret); `DELETE .../links/{link}`: revoked at once."""

    permission_classes = [IsSupervisor]

    def _json(self, request: Request, link: Any) -> dict[str, Any]:
        from .dashboards import link_path

        return {
            "id": link.pk,
            "url": request.build_absolute_uri(link_path(link)),
            "expires_at": link.expires_at.isoformat(),
            "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
            "last_viewed_at": link.last_viewed_at.isoformat() if link.last_viewed_at else None,
        }

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int, link: int | None = None) -> Response:
        links = _dashboard(pk).links.order_by("-created_at")
        return Response({"results": [self._json(request, x) for x in links]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int, link: int | None = None) -> Response:
        from .dashboards import do_create_dashboard_link

        created = do_create_dashboard_link(cast(User, request.user), pk, _body(request).get("days"))
        return Response(self._json(request, created), status=201)

    @extend_schema(responses={200: serializers.DictField()})
    def delete(self, request: Request, pk: int, link: int | None = None) -> Response:
        from apps.core.errors import NotFound

        from .dashboards import do_revoke_dashboard_link

        if link is None or not _dashboard(pk).links.filter(pk=link).exists():
            raise NotFound(_("No such link."))
        return Response(self._json(request, do_revoke_dashboard_link(cast(User, request.user), link)))


class DashboardSchedulesApi(APIView):
    """`GET /api/v1/reports/dashboards/{id}/schedules`; `POST` {frequency: daily|weekly, weekday: 0-6,
    hour: 0-23 (the reporting time zone), recipients: [emails]}; `DELETE .../schedules/{schedule}`."""

    permission_classes = [IsSupervisor]

    @staticmethod
    def _json(s: Any) -> dict[str, Any]:
        return {
            "id": s.pk,
            "frequency": s.frequency,
            "weekday": s.weekday,
            "hour": s.hour,
            "recipients": s.recipients,
            "next_run_at": s.next_run_at.isoformat(),
            "last_sent_at": s.last_sent_at.isoformat() if s.last_sent_at else None,
            "last_error": s.last_error or None,
        }

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int, schedule: int | None = None) -> Response:
        return Response({"results": [self._json(s) for s in _dashboard(pk).schedules.order_by("pk")]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int, schedule: int | None = None) -> Response:
        from .dashboards import do_save_dashboard_schedule

        data = _body(request)
        created = do_save_dashboard_schedule(
            cast(User, request.user),
            pk,
            frequency=data.get("frequency"),
            weekday=data.get("weekday", 0),
            hour=data.get("hour", 7),
            recipients=data.get("recipients"),
        )
        return Response(self._json(created), status=201)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, schedule: int | None = None) -> Response:
        from apps.core.errors import NotFound

        from .dashboards import do_delete_dashboard_schedule

        if schedule is None or not _dashboard(pk).schedules.filter(pk=schedule).exists():
            raise NotFound(_("No such schedule."))
        do_delete_dashboard_schedule(cast(User, request.user), schedule)
        return Response(status=204)
