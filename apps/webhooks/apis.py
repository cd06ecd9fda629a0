"""REST API of outgoing webhooks (owner and admins only):
- `GET /api/v1/webhooks/events`: the events one may subscribe to;
- `GET|POST /api/v1/webhooks/subscriptions`, `GET|PATCH|DELETE /api/v1/webhooks/subscriptions/{id}`
  (POST answers the secret, once), `POST .../subscriptions/{id}/rotate-secret` (the new one, once);
- `GET /api/v1/webhooks/deliveries[?subscription={id}]` (the latest 50), `GET .../deliveries/{id}` (with
  its body and every attempt), `POST .../deliveries/{id}/replay` (send it again now)."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.errors import NotFound, ValidationFailed
from apps.core.permissions import IsTenantAdmin
from apps.core.validation import whole_number

from .actions import do_delete_subscription, do_replay_delivery, do_rotate_secret, do_save_subscription
from .models import Delivery, Subscription
from .selectors import delivery_json, events, recent_deliveries, subscription_json, subscriptions


class EventsApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response({"results": events()})


class SubscriptionsApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        if pk is None:
            return Response({"results": subscriptions()})
        sub = Subscription.objects.filter(pk=pk).first()
        if sub is None:
            raise NotFound(_("No such webhook."))
        return Response(subscription_json(sub))

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        sub, secret = do_save_subscription(cast(User, request.user), request.data)
        return Response({**subscription_json(sub), "secret": secret}, status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        sub, _secret = do_save_subscription(cast(User, request.user), request.data, pk or 0)
        return Response(subscription_json(sub))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        do_delete_subscription(cast(User, request.user), pk or 0)
        return Response(status=204)


class RotateSecretApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        sub, secret = do_rotate_secret(cast(User, request.user), pk)
        return Response({**subscription_json(sub), "secret": secret})


class DeliveriesApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        if pk is not None:
            delivery = Delivery.objects.prefetch_related("attempt_log").filter(pk=pk).first()
            if delivery is None:
                raise NotFound(_("No such delivery."))
            return Response(delivery_json(delivery))
        raw = request.query_params.get("subscription")
        sub_id = whole_number(raw) if raw is not None else None
        if raw is not None and sub_id is None:
            raise ValidationFailed(_("Bad filter."), fields={"subscription": [_("A webhook's id.")]})
        return Response({"results": [delivery_json(d) for d in recent_deliveries(sub_id)]})


class ReplayApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(request=None, responses={202: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        delivery = do_replay_delivery(cast(User, request.user), pk)
        return Response(delivery_json(delivery, with_attempts=False), status=202)
