"""REST API of quality management: `/api/v1/qa/forms` and `/api/v1/qa/evaluations` (list, create,
save, submit, acknowledge, dispute, review). Evaluators are supervisors and up; agents read, acknowledge
and dispute their own submitted evaluations."""

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
from apps.core.errors import NotFound, ValidationFailed
from apps.core.permissions import IsSupervisor
from apps.core.validation import json_object, whole_number

from . import actions
from .models import EvaluationForm
from .selectors import evaluation_json, form_json, readable_evaluation, visible_evaluations


def _body(request: Request) -> dict[str, Any]:
    return dict(json_object(request.data))


class FormsApi(APIView):
    """`GET /api/v1/qa/forms`; `POST` {name, definition: {sections: [{title, questions: [{id, text, kind
    (yes_no, scale, choice, text), weight, allow_na, critical, scale_max, options: [{label, points}]}]}]}}."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response({"results": [form_json(f) for f in EvaluationForm.objects.order_by("name", "pk")]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        data = _body(request)
        form = actions.do_create_form(cast(User, request.user), data.get("name"), data.get("definition"))
        return Response(form_json(form), status=201)


class FormApi(APIView):
    """`GET /api/v1/qa/forms/{id}`; `PUT` {name, definition}: the next version of the form."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        form = EvaluationForm.objects.filter(pk=pk).first()
        if form is None:
            raise NotFound(_("No such form."))
        return Response(form_json(form))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def put(self, request: Request, pk: int) -> Response:
        data = _body(request)
        form = actions.do_revise_form(
            cast(User, request.user), pk, name=data.get("name"), definition=data.get("definition")
        )
        return Response(form_json(form))


class EvaluationsApi(APIView):
    """`GET /api/v1/qa/evaluations?agent=&status=`; `POST` {interaction, form, agent (optional)}: a draft."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        found = visible_evaluations(cast(User, request.user))
        agent = str(request.query_params.get("agent") or "")
        if agent:
            if whole_number(agent) is None:
                raise ValidationFailed(_("agent: an id."), fields={"agent": [_("An id.")]})
            found = found.filter(agent_id=int(agent))
        status = request.query_params.get("status")
        if status:
            found = found.filter(status=status)
        return Response({"results": [evaluation_json(e) for e in found.order_by("-created_at", "-pk")[:200]]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        data = _body(request)
        evaluation = actions.do_start_evaluation(
            cast(User, request.user),
            interaction_id=data.get("interaction"),
            form_id=data.get("form"),
            agent_id=data.get("agent"),
        )
        return Response(evaluation_json(evaluation), status=201)


class EvaluationApi(APIView):
    """`GET /api/v1/qa/evaluations/{id}`; `PATCH` {answers, comments}: a draft's answers; `POST
    .../{action}` with action submit, acknowledge, dispute {reason} or review {note, answers}."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int, action: str | None = None) -> Response:
        return Response(evaluation_json(readable_evaluation(cast(User, request.user), pk)))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int, action: str | None = None) -> Response:
        user = cast(User, request.user)
        readable_evaluation(user, pk)
        data = _body(request)
        evaluation = actions.do_save_evaluation(user, pk, answers=data.get("answers"), comments=data.get("comments"))
        return Response(evaluation_json(evaluation))

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int, action: str | None = None) -> Response:
        user = cast(User, request.user)
        readable_evaluation(user, pk)  # what the user may not see does not exist for them
        data = _body(request) if request.data else {}
        if action == "submit":
            evaluation = actions.do_submit_evaluation(user, pk)
        elif action == "acknowledge":
            evaluation = actions.do_acknowledge_evaluation(user, pk)
        elif action == "dispute":
            evaluation = actions.do_dispute_evaluation(user, pk, data.get("reason"))
        elif action == "review":
            evaluation = actions.do_review_dispute(user, pk, note=data.get("note"), answers=data.get("answers"))
        else:
            raise NotFound(_("No such action."))
        return Response(evaluation_json(evaluation))


class QualityReportApi(APIView):
    """`GET /api/v1/qa/reports?from=2026-12-01T00:00:00+08:00&to=2026-12-08T00:00:00+08:00` (date-times
    with their zone; default the last 30 days): scores of the evaluations submitted in [from, to) per
    agent, per form and per question (supervisors and up)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        from datetime import timedelta

        from django.utils import timezone
        from django.utils.dateparse import parse_datetime

        from .selectors import quality_report

        now = timezone.now()
        bounds = []
        for name, default in (("from", now - timedelta(days=30)), ("to", now)):
            raw = str(request.query_params.get(name) or "")
            try:
                at = parse_datetime(raw) if raw else default
            except ValueError:
                at = None
            if at is None or at.tzinfo is None:
                raise ValidationFailed(
                    _("%(p)s: a date and time with its zone (2026-12-01T00:00:00+08:00).") % {"p": name},
                    fields={name: [_("A date and time with its zone.")]},
                )
            bounds.append(at)
        if bounds[1] <= bounds[0]:
            raise ValidationFailed(_("to must come after from."), fields={"to": [_("After from.")]})
        return Response({"from": bounds[0].isoformat(), "to": bounds[1].isoformat(), **quality_report(*bounds)})


def _rule_json(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "form": rule.form_id,
        "channels": rule.channels,
        "percent": rule.percent,
        "csat_at_most": rule.csat_at_most,
        "aht_factor": rule.aht_factor,
        "enabled": rule.enabled,
        "sampled_to": rule.sampled_to.isoformat() if rule.sampled_to else None,
    }


class SamplingRulesApi(APIView):
    """`GET /api/v1/qa/sampling-rules`; `POST` {name, kind (random, low_csat, long_handle), form, channels,
    percent | csat_at_most | aht_factor}; `PATCH .../{id}` {enabled}. Supervisors and up, audited."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        from .models import SamplingRule

        return Response({"results": [_rule_json(r) for r in SamplingRule.objects.order_by("name", "pk")]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        from .sampling import do_save_sampling_rule

        return Response(_rule_json(do_save_sampling_rule(cast(User, request.user), _body(request))), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        from .sampling import do_set_sampling_rule_enabled

        if pk is None:
            raise NotFound(_("No such rule."))
        rule = do_set_sampling_rule_enabled(cast(User, request.user), pk, _body(request).get("enabled"))
        return Response(_rule_json(rule))


class WorkItemsApi(APIView):
    """`GET /api/v1/qa/work-items?status=open`: what the sampling rules picked; `POST .../{id}/start`: its
    evaluation (a draft with the rule's form)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        from .models import WorkItem

        found = WorkItem.objects.select_related("agent__user", "rule").order_by("-created_at", "-pk")
        status = request.query_params.get("status")
        if status:
            found = found.filter(status=status)
        return Response(
            {
                "results": [
                    {
                        "id": w.pk,
                        "interaction": w.interaction_id,
                        "agent": {"id": w.agent_id, "name": w.agent.user.display_name},
                        "rule": w.rule.name if w.rule else None,
                        "reason": w.reason,
                        "status": w.status,
                        "evaluation": w.evaluation_id,
                    }
                    for w in found[:500]
                ]
            }
        )

    @extend_schema(responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        from .sampling import do_start_from_work_item

        if pk is None:
            raise NotFound(_("No such item."))
        return Response(evaluation_json(do_start_from_work_item(cast(User, request.user), pk)), status=201)


class CalibrationsApi(APIView):
    """`POST /api/v1/qa/calibrations` {interaction, form, expert, evaluators: [user ids]}: a draft for
    each; `GET /api/v1/qa/calibrations/{id}`: the answers' spread and each evaluator's deviation from the
    expert (supervisors and up)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        from .calibration import calibration_results

        if pk is None:
            raise NotFound(_("No such calibration."))
        return Response(calibration_results(pk, cast(User, request.user)))

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        from .calibration import calibration_results, do_start_calibration

        user = cast(User, request.user)
        calibration = do_start_calibration(user, _body(request))
        return Response(calibration_results(calibration.pk, user), status=201)
