"""REST API of workforce management."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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
