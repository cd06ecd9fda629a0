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
from .metrics import METRICS, dictionary
from .models import ReportingSettings
from .scorecards import SCORECARD, do_set_team_targets, readable_agent, scorecard, team_targets
from .selectors import SLICE_NAMES, SLICES, drill_down, parse_report_query, realtime_state, report


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
            OpenApiParameter("format", str, description="json (default), csv or xlsx"),
        ],
        responses={200: serializers.DictField()},
    )
    def get(self, request: Request) -> Response:
        settings = ReportingSettings.current()
        q = parse_report_query(request.query_params, self.slice, settings)
        rows = report(q, settings)
        slice_name = SLICE_NAMES[self.slice]
        response = Response(
            {
                "slice": slice_name,
                "from": q.start.isoformat(),
                "to": q.end.isoformat(),
                "interval": q.interval,
                "time_zone": q.time_zone,
                "results": rows,
            }
        )
        fmt = request.query_params.get("format")
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
        return Response({"results": dictionary()})


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
