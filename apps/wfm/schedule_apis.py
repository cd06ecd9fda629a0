"""REST API of schedules and adherence, under /api/v1/wfm/. Planners (supervisors, admins, the owner) read
and write schedules, contracts and availability and read adherence; every signed-in agent reads their own
published shifts (`my-schedule`)."""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import NotFound, ValidationFailed
from apps.core.permissions import IsSupervisor

from . import schedule_actions as actions
from . import schedule_selectors as selectors
from .models import Contract, Schedule

Body = serializers.DictField()


def _user(request: Request) -> User:
    return cast(User, request.user)


class ContractsApi(APIView):
    """`GET /api/v1/wfm/contracts`; `POST` {name, min_minutes_week, max_minutes_week, shift_minutes: [480, ...],
    max_days_week, break_minutes, lunch_minutes}; `PUT .../contracts/{id}` the same."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request, pk: int | None = None) -> Response:
        return Response({"results": [selectors.contract_json(c) for c in Contract.objects.order_by("name")]})

    @extend_schema(request=Body, responses={201: Body})
    def post(self, request: Request, pk: int | None = None) -> Response:
        return Response(selectors.contract_json(actions.do_save_contract(_user(request), request.data)), status=201)

    @extend_schema(request=Body, responses={200: Body})
    def put(self, request: Request, pk: int | None = None) -> Response:
        contract = actions.do_save_contract(_user(request), request.data, pk or 0)
        return Response(selectors.contract_json(contract))


class AgentPlansApi(APIView):
    """`GET /api/v1/wfm/availability`: every agent's contract and weekly windows. `PUT .../availability/{agent}`
    {contract: id or null, windows: [{weekday: 0-6, start: "08:00", end: "17:00"}]} (either or both)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request, agent: int | None = None) -> Response:
        return Response({"results": selectors.agent_plans()})

    @extend_schema(request=Body, responses={200: Body})
    def put(self, request: Request, agent: int | None = None) -> Response:
        actions.do_set_agent_plan(_user(request), agent or 0, request.data)
        return Response(selectors.agent_plans(agent_id=agent)[0])


class SchedulesApi(APIView):
    """`GET /api/v1/wfm/schedules`: the schedules, newest first."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request) -> Response:
        return Response({"results": [selectors.schedule_summary(s) for s in Schedule.objects.all()[:100]]})


class GenerateApi(APIView):
    """`POST /api/v1/wfm/schedules/generate` {queue, channel?, first_day (a Monday), weeks 1-4, interval_minutes
    15|30, time_zone, target_service_level (%), target_seconds, max_occupancy (%), shrinkage (%),
    time_limit_seconds, name?}: a draft schedule of the agents with a contract, covering the queue's forecast
    (Erlang C per interval). Answers the schedule with its coverage totals."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=Body, responses={201: Body})
    def post(self, request: Request) -> Response:
        schedule = actions.do_generate_schedule(_user(request), request.data)
        detail = selectors.schedule_detail(schedule)
        detail.pop("coverage")
        detail.pop("shifts")
        return Response(detail, status=201)


def _day(raw: Any, field: str = "day") -> Any:
    if not raw:
        return None
    try:
        got = parse_date(str(raw))
    except ValueError:
        got = None
    if got is None:
        raise ValidationFailed(_("A date, YYYY-MM-DD."), fields={field: [_("A date, YYYY-MM-DD.")]})
    return got


class ScheduleApi(APIView):
    """`GET /api/v1/wfm/schedules/{id}?day=&agent=`: the schedule, its coverage per interval (required,
    scheduled, under) of the day (or the whole period) and its shifts (of the day / agent)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request, pk: int) -> Response:
        schedule = selectors.get_schedule(pk)
        raw_agent = request.query_params.get("agent")
        agent = int(raw_agent) if raw_agent and raw_agent.isascii() and raw_agent.isdigit() else None
        return Response(selectors.schedule_detail(schedule, _day(request.query_params.get("day")), agent))


class PublishApi(APIView):
    """`POST /api/v1/wfm/schedules/{id}/publish`: agents see it, adherence counts against it; published
    schedules over the same days go back to draft (`unpublished`)."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=None, responses={200: Body})
    def post(self, request: Request, pk: int) -> Response:
        schedule, others = actions.do_publish_schedule(_user(request), pk)
        return Response({**selectors.schedule_summary(schedule), "unpublished": [o.pk for o in others]})


class ShiftsApi(APIView):
    """`POST /api/v1/wfm/schedules/{id}/shifts` {agent, start, end}: a shift by hand (times in the schedule's
    zone, or with an offset). Refused (400) when it overlaps the agent's shift or leaves their availability;
    over the contract is said in `warnings`."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=Body, responses={201: Body})
    def post(self, request: Request, pk: int) -> Response:
        shift, warnings = actions.do_add_shift(_user(request), pk, request.data)
        tz = ZoneInfo(shift.schedule.time_zone)
        return Response({**selectors.shift_json(shift, tz), "warnings": warnings}, status=201)


class ShiftListApi(APIView):
    """`GET /api/v1/wfm/shifts?from=YYYY-MM-DD&days=7&agent=&published=1`: shifts by agent and period, across
    schedules (the tenant's zone; at most 5,000)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request) -> Response:
        return Response(selectors.shifts_request(request.query_params))


class ShiftApi(APIView):
    """`PATCH /api/v1/wfm/shifts/{id}` {start?, end?}: move (its activities move with its start) or resize;
    `DELETE`."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=Body, responses={200: Body})
    def patch(self, request: Request, pk: int) -> Response:
        shift, warnings = actions.do_move_shift(_user(request), pk, request.data)
        tz = ZoneInfo(shift.schedule.time_zone)
        return Response({**selectors.shift_json(shift, tz), "warnings": warnings})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        actions.do_delete_shift(_user(request), pk)
        return Response(status=204)


class ActivitiesApi(APIView):
    """`POST /api/v1/wfm/shifts/{id}/activities` {kind: break|lunch|meeting|training, start, end};
    `PATCH /api/v1/wfm/activities/{id}` {kind?, start?, end?}; `DELETE /api/v1/wfm/activities/{id}`."""

    permission_classes = [IsSupervisor]

    def _json(self, activity: Any) -> dict[str, Any]:
        tz = ZoneInfo(activity.shift.schedule.time_zone)
        return selectors.shift_json(activity.shift, tz)

    @extend_schema(request=Body, responses={201: Body})
    def post(self, request: Request, pk: int) -> Response:
        activity = actions.do_save_activity(_user(request), request.data, shift_id=pk)
        return Response({"id": activity.pk, "shift": self._json(activity)}, status=201)

    @extend_schema(request=Body, responses={200: Body})
    def patch(self, request: Request, pk: int) -> Response:
        activity = actions.do_save_activity(_user(request), request.data, activity_id=pk)
        return Response({"id": activity.pk, "shift": self._json(activity)})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        actions.do_delete_activity(_user(request), pk)
        return Response(status=204)


class MyScheduleApi(APIView):
    """`GET /api/v1/wfm/my-schedule?from=YYYY-MM-DD&days=14`: the signed-in agent's published shifts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: Body})
    def get(self, request: Request) -> Response:
        agent = AgentProfile.objects.select_related("user").filter(user=_user(request)).first()
        if agent is None:
            raise NotFound(_("You have no agent profile."))
        start = _day(request.query_params.get("from"), "from") or timezone.now().date()
        raw = str(request.query_params.get("days") or "14")
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 62):
            raise ValidationFailed(_("days: 1 to 62."), fields={"days": [_("1 to 62.")]})
        return Response(selectors.my_shifts(agent, start, int(raw)))


class AdherenceNowApi(APIView):
    """`GET /api/v1/wfm/adherence/now`: agents out of adherence now, the longest first: {agent, activity,
    state, reason, since, seconds}."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request) -> Response:
        return Response({"at": timezone.now().isoformat(), "results": selectors.realtime()})


class AdherenceApi(APIView):
    """`GET /api/v1/wfm/adherence?from=YYYY-MM-DD&days=7&agent=&interval=day|15|30&time_zone=`: adherence and
    conformance (%) with the seconds they come from, per agent and day (or per interval for one agent and
    day). Definitions: docs/metrics.md."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: Body})
    def get(self, request: Request) -> Response:
        return Response(selectors.history_request(request.query_params, selectors.default_time_zone()))
