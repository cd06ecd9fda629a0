"""REST API of workforce management."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsSupervisor

from .selectors import staffing_json, staffing_request


class StaffingApi(APIView):
    """`POST /api/v1/wfm/staffing` {volume, interval_minutes, aht_seconds, target_service_level (%),
    target_seconds, max_occupancy (%, default 100), shrinkage (%, default 0), patience_seconds (optional:
    Erlang A, else Erlang C)} -> {agents_raw, agents_scheduled, service_level, occupancy,
    probability_of_waiting, asa_seconds, offered_erlangs, abandon_rate (Erlang A)}. Instead of `volume`
    and `aht_seconds`, `intervals`: [{volume, aht_seconds}, ...] (up to 2,016) -> {results: [...]}."""

    permission_classes = [IsSupervisor]

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request) -> Response:
        results = [staffing_json(r) for r in staffing_request(request.data)]
        if isinstance(request.data, dict) and request.data.get("intervals") is not None:
            return Response({"results": results})
        return Response(results[0])


class ForecastApi(APIView):
    """`GET /api/v1/wfm/forecast?queue=&channel=&from=2026-12-08&days=7&interval_minutes=30&time_zone=`:
    volume and handle time per interval (the planners' overrides laid on), and the model's accuracy
    (WAPE on the held-out last week). `PUT /api/v1/wfm/forecast` {queue, channel, start, interval_minutes,
    volume, aht_seconds}: an override (both null: removed)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        from .selectors import forecast_request

        return Response(forecast_request(request.query_params))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def put(self, request: Request) -> Response:
        from .actions import do_set_override

        override = do_set_override(cast(User, request.user), request.data)
        if override is None:
            return Response({"removed": True})
        return Response(
            {"start": override.start.isoformat(), "volume": override.volume, "aht_seconds": override.aht_seconds}
        )


class HolidaysApi(APIView):
    """`GET /api/v1/wfm/holidays`; `POST` {day, name, factor (0 closed .. 2)}; `DELETE .../{id}`."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        from .models import Holiday

        rows = [
            {"id": h.pk, "day": h.day.isoformat(), "name": h.name, "factor": h.factor}
            for h in Holiday.objects.order_by("day")
        ]
        return Response({"results": rows})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        from .actions import do_save_holiday

        h = do_save_holiday(cast(User, request.user), request.data)
        return Response({"id": h.pk, "day": h.day.isoformat(), "name": h.name, "factor": h.factor}, status=201)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        from .actions import do_delete_holiday

        do_delete_holiday(cast(User, request.user), pk or 0)
        return Response(status=204)
