"""REST API of messaging: connected channels (`/api/v1/messaging/channels[/{id}]`: GET, POST, PATCH,
DELETE; owner and admins change them, supervisors read them, secrets are never returned), and a
conversation's state for whoever may work on it (`/api/v1/messaging/interactions/{id}`: provider,
window, templates, delivery states) with `POST .../template` to send an approved template."""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import NotFound
from apps.core.permissions import IsSupervisor
from apps.inbox.actions import check_can_work_on
from apps.inbox.models import Interaction

from .actions import do_delete_channel, do_save_channel, do_send_template
from .models import MessagingChannel
from .outbound import webhook_url
from .selectors import channel_json, channels, conversation_state


class ChannelsApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        if pk is not None:
            channel = MessagingChannel.objects.filter(pk=pk).first()
            if channel is None:
                raise NotFound(_("No such channel."))
            return Response(channel_json(channel, webhook=webhook_url(channel)))
        return Response({"results": [channel_json(c, webhook=webhook_url(c)) for c in channels()]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        channel = do_save_channel(cast(User, request.user), request.data)
        return Response(channel_json(channel, webhook=webhook_url(channel)), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        channel = do_save_channel(cast(User, request.user), request.data, pk or 0)
        return Response(channel_json(channel, webhook=webhook_url(channel)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        do_delete_channel(cast(User, request.user), pk or 0)
        return Response(status=204)


class ConversationApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        interaction = get_object_or_404(Interaction, pk=pk)
        check_can_work_on(cast(User, request.user), interaction)
        state = conversation_state(interaction)
        if state is None:
            raise NotFound(_("This conversation is not on a messaging channel."))
        return Response(state)


class TemplateApi(APIView):
    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        interaction = get_object_or_404(Interaction, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        message = do_send_template(cast(User, request.user), interaction, data.get("name"))
        return Response({"seq": message.seq, "body": message.body}, status=201)
