"""REST API of calls: ICE servers for browsers, snapshots, an interaction's calls; recordings."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.tenancy import current_schema
from apps.inbox.actions import check_can_work_on
from apps.inbox.models import Interaction

from .actions import do_store_snapshot
from .models import Recording
from .selectors import calls_of_interaction, ice_servers


class IceServersApi(APIView):
    """STUN/TURN servers for RTCPeerConnection, with a TURN credential valid TURN_TTL_SECONDS."""

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        from django.conf import settings

        user = cast(User, request.user)
        return Response(
            {"ice_servers": ice_servers(f"{current_schema()}-agent-{user.pk}"), "ttl": settings.TURN_TTL_SECONDS}
        )


class SnapshotApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={201: serializers.DictField()},
    )
    def post(self, request: Request, call_id: str) -> Response:
        message = do_store_snapshot(call_id, cast(User, request.user), request.FILES.get("file"))
        assert message.attachment is not None
        return Response(
            {
                "seq": message.seq,
                "attachment": {"id": message.attachment.pk, "url": f"/inbox/attachments/{message.attachment.pk}"},
            },
            status=status.HTTP_201_CREATED,
        )


class InteractionCallsApi(APIView):
    @extend_schema(responses={200: serializers.ListField()})
    def get(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        interaction = get_object_or_404(Interaction, pk=pk)
        check_can_work_on(user, interaction)
        return Response(calls_of_interaction(interaction.pk, user))


@login_required
def recording_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """Supervisors (and admins) listen to recordings."""
    user = cast(User, request.user)
    if not user.is_manager:
        return HttpResponse(status=403)
    recording = get_object_or_404(Recording, pk=pk)
    response = FileResponse(recording.file.open("rb"), content_type="video/webm")
    response["Content-Length"] = str(recording.size)
    response["Accept-Ranges"] = "none"
    return response


@login_required
def recording_track(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One party's audio of a recording (supervisors and up, as the recording), with byte ranges."""
    from .tracks import ranged, track_bytes

    user = cast(User, request.user)
    if not user.is_manager:
        return HttpResponse(status=403)
    recording = get_object_or_404(Recording, pk=pk)
    data = track_bytes(recording, index)
    if data is None:
        return HttpResponse(status=404)
    return ranged(request, data, "audio/webm")
