"""REST API of interaction analytics: `GET /api/v1/analytics/interactions/{id}` (whoever may read the
interaction; what comes from a call's recording for supervisors and up), `GET /api/v1/analytics/trends`
and the topics (`/api/v1/analytics/topics`), for supervisors and up."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import NotFound
from apps.core.permissions import IsSupervisor
from apps.core.validation import json_object

from . import actions
from .models import Topic
from .selectors import interaction_analysis, parse_range, tenant_today, topic_json, trends


class InteractionAnalysisApi(APIView):
    """`GET /api/v1/analytics/interactions/{id}`: {"analysed": bool, "analysis": {sentiment {customer, agent,
    end: {score, label}}, messages [{seq, party, at_seconds, lang, score, label}], keywords [[term, n]],
    topics [{name, phrase, party, at_seconds, seq}], call (supervisors and up: the talk pattern and the
    spotted phrases), cost} or null while it is not analysed yet}."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        found = interaction_analysis(cast(User, request.user), pk)
        return Response({"interaction": pk, "analysed": found is not None, "analysis": found})


class TrendsApi(APIView):
    """`GET /api/v1/analytics/trends?from=YYYY-MM-DD&to=YYYY-MM-DD&queue=&channel=` (days inclusive, the
    tenant's days; default the last 30; at most 92): sentiment per day, topics per day and queue, the top
    keywords per day."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        start, end, queue, channel = parse_range(request.query_params, tenant_today())
        return Response(trends(start, end, queue=queue, channel=channel))


def _body(request: Request) -> dict[str, Any]:
    return dict(json_object(request.data))


class TopicsApi(APIView):
    """`GET /api/v1/analytics/topics`; `POST` {name, phrases: [..]}; `PUT /topics/{id}` {name, phrases};
    `DELETE /topics/{id}`."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        if pk is not None:
            topic = Topic.objects.filter(pk=pk).first()
            if topic is None:
                raise NotFound(_("No such topic."))
            return Response(topic_json(topic))
        return Response({"results": [topic_json(t) for t in Topic.objects.order_by("name")]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        data = _body(request)
        topic = actions.do_save_topic(cast(User, request.user), name=data.get("name"), phrases=data.get("phrases"))
        return Response(topic_json(topic), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def put(self, request: Request, pk: int | None = None) -> Response:
        if pk is None:
            raise NotFound(_("No such topic."))
        data = _body(request)
        topic = actions.do_save_topic(
            cast(User, request.user), name=data.get("name"), phrases=data.get("phrases"), topic_id=pk
        )
        return Response(topic_json(topic))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        if pk is None:
            raise NotFound(_("No such topic."))
        actions.do_delete_topic(cast(User, request.user), pk)
        return Response(status=204)
