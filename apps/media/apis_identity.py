"""REST API of recorded identity checks (apps/media/actions/identity.py).

- `POST /api/v1/calls/{call_id}/identity-checks`: the agent in the video call starts one (or gets the
  open one) -> 201 the check.
- `POST /api/v1/identity-checks/{id}/steps` (multipart `kind` = document | face with `file`, a JPEG or
  PNG of the customer's video; or `kind` = consent) -> 201 the check.
- `POST /api/v1/identity-checks/{id}/decide` (`result` = verified | failed, `note`) -> 200 the check,
  sealed with its digest.
- `GET /api/v1/identity-checks/{id}`, `GET .../steps/{step}/photo`: supervisors, admins and the owner;
  the agent who runs it while it is in progress. `intact` says whether rows and photos still match the
  digest.
- `GET /api/v1/interactions/{id}/identity-checks`: the interaction's checks (supervisors and up)."""

from __future__ import annotations

from typing import Any, cast

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import PermissionDenied
from apps.core.permissions import IsSupervisor

from .actions import consent_statement, do_add_identity_step, do_decide_identity_check, do_start_identity_check
from .models import IdentityCheck, IdentityStep
from .selectors import identity_check_payload


def _readable(user: User, check: IdentityCheck) -> None:
    if user.is_manager:
        return
    if check.status == IdentityCheck.Status.IN_PROGRESS and check.started_by_id == user.pk:
        return
    raise PermissionDenied(_("Identity checks are read by supervisors."))


class StartIdentityCheckApi(APIView):
    @extend_schema(request=None, responses={201: serializers.DictField()})
    def post(self, request: Request, call_id: str) -> Response:
        check = do_start_identity_check(cast(User, request.user), call_id)
        payload = {**identity_check_payload(check), "consent": consent_statement()}
        return Response(payload, status=status.HTTP_201_CREATED)


class IdentityStepApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"kind": {"type": "string"}, "file": {"type": "string", "format": "binary"}},
                "required": ["kind"],
            }
        },
        responses={201: serializers.DictField()},
    )
    def post(self, request: Request, pk: int) -> Response:
        data: Any = request.data
        do_add_identity_step(cast(User, request.user), pk, data.get("kind"), request.FILES.get("file"))
        check = IdentityCheck.objects.get(pk=pk)
        return Response(identity_check_payload(check), status=status.HTTP_201_CREATED)


class DecideIdentityCheckApi(APIView):
    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data: Any = request.data if isinstance(request.data, dict) else {}
        check = do_decide_identity_check(cast(User, request.user), pk, data.get("result"), data.get("note", ""))
        return Response(identity_check_payload(check))


class IdentityCheckApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        check = get_object_or_404(IdentityCheck.objects.select_related("call", "started_by", "decided_by"), pk=pk)
        _readable(cast(User, request.user), check)
        return Response(identity_check_payload(check))


class IdentityPhotoApi(APIView):
    @extend_schema(responses={(200, "image/jpeg"): bytes})
    def get(self, request: Request, pk: int, step: int) -> FileResponse:
        check = get_object_or_404(IdentityCheck, pk=pk)
        _readable(cast(User, request.user), check)
        photo = get_object_or_404(IdentityStep, pk=step, identity_check=check)
        if not photo.file:
            raise PermissionDenied(_("This step has no photo."))
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type or "image/jpeg")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class InteractionIdentityChecksApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        checks = IdentityCheck.objects.filter(interaction_id=pk).select_related("call", "started_by", "decided_by")
        return Response({"results": [identity_check_payload(c) for c in checks]})
