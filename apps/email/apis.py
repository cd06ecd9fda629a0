"""REST API of email: mailboxes (`/api/v1/email/mailboxes[/{id}]`: GET, POST, PATCH) and routing rules
for new mail (`/api/v1/email/rules[/{id}]`: GET, POST, PATCH, DELETE). Admins and the owner change
them; supervisors read them."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsSupervisor

from .actions import (
    do_delete_imap,
    do_delete_provider_inbound,
    do_delete_rule,
    do_forward_mail,
    do_reply_by_mail,
    do_save_imap,
    do_save_mailbox,
    do_save_provider_inbound,
    do_save_rule,
)
from .selectors import (
    imap_accounts,
    imap_json,
    mailbox_json,
    mailboxes,
    mails_of,
    provider_inbound_json,
    providers_inbound,
    rule_json,
    rules,
    signature_of,
)


class MailboxesApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        return Response({"results": mailboxes()})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        return Response(mailbox_json(do_save_mailbox(cast(User, request.user), request.data)), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        return Response(mailbox_json(do_save_mailbox(cast(User, request.user), request.data, pk or 0)))


class RulesApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        return Response({"results": rules()})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        return Response(rule_json(do_save_rule(cast(User, request.user), request.data)), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        return Response(rule_json(do_save_rule(cast(User, request.user), request.data, pk or 0)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        do_delete_rule(cast(User, request.user), pk or 0)
        return Response(status=204)


class MailsApi(APIView):
    """`GET /api/v1/email/interactions/{id}/mails`: the conversation's mails (for whoever may work on it)."""

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        from django.shortcuts import get_object_or_404

        from apps.inbox.actions import check_can_work_on
        from apps.inbox.models import Interaction

        interaction = get_object_or_404(Interaction, pk=pk)
        check_can_work_on(cast(User, request.user), interaction)
        return Response({"results": mails_of(interaction.pk), "signature": signature_of(interaction.pk)})


class ImapApi(APIView):
    """`/api/v1/email/imap[/{id}]`: the IMAP mailboxes read into the inbox (GET, POST, PATCH, DELETE; the
    password is written, never read back)."""

    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        return Response({"results": imap_accounts()})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        return Response(imap_json(do_save_imap(cast(User, request.user), request.data)), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        return Response(imap_json(do_save_imap(cast(User, request.user), request.data, pk or 0)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int | None = None) -> Response:
        do_delete_imap(cast(User, request.user), pk or 0)
        return Response(status=204)


class ProvidersApi(APIView):
    """`/api/v1/email/providers[/{provider}]`: providers' inbound webhooks (GET; POST {provider, mailbox,
    signing_key, enabled, new_secret}; DELETE). Admins only: the URL carries the webhook's secret."""

    permission_classes = [IsSupervisor]

    def _admin(self, request: Request) -> None:
        from apps.core.errors import PermissionDenied

        if cast(User, request.user).role not in ("owner", "admin"):
            raise PermissionDenied(gettext("Only admins and the owner see the providers' webhooks."))

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, provider: str | None = None) -> Response:
        self._admin(request)
        return Response({"results": providers_inbound()})

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request, provider: str | None = None) -> Response:
        return Response(provider_inbound_json(do_save_provider_inbound(cast(User, request.user), request.data)))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, provider: str | None = None) -> Response:
        do_delete_provider_inbound(cast(User, request.user), provider or "")
        return Response(status=204)


class ReplyApi(APIView):
    """`POST /api/v1/email/interactions/{id}/reply` {body, cc, bcc}: the agent's answer with copies."""

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        message = do_reply_by_mail(cast(User, request.user), pk, request.data)
        return Response({"id": message.pk, "seq": message.seq}, status=201)


class ForwardApi(APIView):
    """`POST /api/v1/email/mails/{id}/forward` {to, cc, note}: a received mail sent on to someone else."""

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        forward = do_forward_mail(cast(User, request.user), pk, request.data)
        return Response({"id": forward.pk, "to": forward.to, "cc": forward.cc}, status=201)
