"""REST API of the inbox (used by the agent desktop and integrations)."""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import ApplicationError, NotFound, PermissionDenied
from apps.core.permissions import IsTenantAdmin

from .actions import (
    check_can_work_on,
    check_canned_body,
    do_agent_reply,
    do_create_contact,
    do_delete_canned_response,
    do_merge_contacts,
    do_resolve,
    do_save_canned_response,
    do_store_attachment,
    do_transfer,
    do_update_contact,
    render_canned,
)
from .actions.dispositions import do_delete_disposition, do_save_disposition
from .models import CannedResponse, Contact, Disposition, Interaction
from .selectors import (
    VIEWS,
    can_read_contact,
    contact_payload,
    directory,
    inbox,
    interaction_detail,
    interaction_record,
    interaction_row,
    merge_suggestions,
    search_contacts,
    visible_contacts,
)


def _interaction_for(user: User, pk: int) -> Interaction:
    interaction = get_object_or_404(Interaction.objects.select_related("contact", "queue", "assignee"), pk=pk)
    check_can_work_on(user, interaction)
    return interaction


class InboxApi(APIView):
    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    def get(self, request: Request) -> Response:
        view = request.query_params.get("view", "mine")
        if view not in VIEWS:
            return Response(
                {
                    "error": {
                        "code": "invalid",
                        "message": "Unknown view.",
                        "fields": {"view": [f"One of: {', '.join(VIEWS)}."]},
                    }
                },
                status=400,
            )
        rows = inbox(
            cast(User, request.user),
            view,
            status=request.query_params.get("status") or None,
            channel=request.query_params.get("channel") or None,
            label=request.query_params.get("label") or None,
        )
        return Response([interaction_row(i) for i in rows])


class InteractionDetailApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        return Response(interaction_detail(_interaction_for(cast(User, request.user), pk)))


class InteractionRecordApi(APIView):
    """The interaction record: its segments (queue, offers, handling, hold, after-contact work,
    transfers), oldest first. For the assignee and supervisors."""

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        return Response(interaction_record(_interaction_for(cast(User, request.user), pk)))


class ResolveApi(APIView):
    class ResolveInputSerializer(serializers.Serializer):
        disposition = serializers.IntegerField(required=False, allow_null=True)
        note = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    @extend_schema(request=ResolveInputSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data = self.ResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        interaction = do_resolve(
            _interaction_for(user, pk),
            user,
            disposition_id=data.validated_data.get("disposition"),
            note=data.validated_data.get("note", ""),
        )
        return Response(interaction_row(interaction))


class TransferApi(APIView):
    class TransferInputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=AgentProfile.objects.all(), required=False, allow_null=True)
        queue = serializers.IntegerField(required=False, allow_null=True)
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(request=TransferInputSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        from apps.routing.models import Queue

        data = self.TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        queue = get_object_or_404(Queue, pk=data.validated_data["queue"]) if data.validated_data.get("queue") else None
        interaction = do_transfer(
            _interaction_for(user, pk),
            user,
            to_agent=data.validated_data.get("agent"),
            to_queue=queue,
            note=data.validated_data.get("note", ""),
        )
        return Response(interaction_row(interaction))


class AttachmentApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}, "note": {"type": "boolean"}},
                "required": ["file"],
            }
        },
        responses={201: serializers.DictField()},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        interaction = _interaction_for(user, pk)
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"error": {"code": "invalid", "message": "Choose a file.", "fields": {"file": ["No file."]}}},
                status=400,
            )
        attachment = do_store_attachment(interaction, upload)
        message = do_agent_reply(
            interaction, user, "", note=request.data.get("note") in ("true", "1", True), attachment=attachment
        )
        return Response({"seq": message.seq, "attachment": attachment.pk}, status=status.HTTP_201_CREATED)


class CannedRenderApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int, shortcut: str) -> Response:
        user = cast(User, request.user)
        response = get_object_or_404(CannedResponse, shortcut=shortcut)
        return Response({"text": render_canned(response, _interaction_for(user, pk), user)})


class DirectoryApi(APIView):
    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response(directory())


class ContactMergeApi(APIView):
    class MergeInputSerializer(serializers.Serializer):
        other = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all())

    permission_classes = [IsTenantAdmin]

    @extend_schema(request=MergeInputSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data = self.MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kept = do_merge_contacts(
            get_object_or_404(Contact, pk=pk), data.validated_data["other"], actor=cast(User, request.user)
        )
        return Response({"id": kept.pk, "interactions": kept.interactions.count()})


class ContactDuplicatesApi(APIView):
    """`GET /api/v1/contacts/{id}/duplicates`: contacts that share an identity with this one (merge
    suggestions), for the owner and admins who may merge them."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        contact = get_object_or_404(Contact, pk=pk)
        return Response({"results": merge_suggestions(contact)})


class ContactPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ContactInputSerializer(serializers.Serializer):
    """The fields a contact's profile has; checked by the action (do_create_contact)."""

    name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, help_text="E.164, e.g. +4930123456")
    external_id = serializers.CharField(required=False, allow_blank=True, help_text="The business's customer id")
    attributes = serializers.DictField(required=False)


def _profile_fields(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ApplicationError(gettext("Send a JSON object."), code="invalid")
    return dict(request.data)


class ContactsApi(APIView):
    """Search contacts (name, email, phone, customer id) and create one from the business's records."""

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        contacts = search_contacts(visible_contacts(user), str(request.query_params.get("q", "")))
        paginator = ContactPagination()
        page = paginator.paginate_queryset(contacts.prefetch_related("identities"), request, view=self)
        return paginator.get_paginated_response([contact_payload(c) for c in page or []])

    @extend_schema(request=ContactInputSerializer, responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        if not user.is_manager:
            raise PermissionDenied(gettext("Only supervisors, admins and the owner can add contacts."))
        contact = do_create_contact(user, _profile_fields(request))
        return Response(contact_payload(contact), status=status.HTTP_201_CREATED)


class ContactApi(APIView):
    """One contact: read it; change its profile (PATCH)."""

    def _contact(self, request: Request, pk: int) -> Contact:
        contact = get_object_or_404(Contact, pk=pk)
        if not can_read_contact(cast(User, request.user), contact):
            raise NotFound(gettext("No such contact."))
        return contact

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        return Response(contact_payload(self._contact(request, pk)))

    @extend_schema(request=ContactInputSerializer, responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int) -> Response:
        contact = do_update_contact(cast(User, request.user), self._contact(request, pk), _profile_fields(request))
        return Response(contact_payload(contact))


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "shortcut", "title", "body"]

    def validate_body(self, value: str) -> str:
        try:
            return check_canned_body(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.fields.get("body") or [exc.message]) from None

    def create(self, validated_data: dict[str, Any]) -> CannedResponse:
        return do_save_canned_response(self.context["request"].user, **validated_data)

    def update(self, instance: CannedResponse, validated_data: dict[str, Any]) -> CannedResponse:
        values = {k: validated_data.get(k, getattr(instance, k)) for k in ("shortcut", "title", "body")}
        return do_save_canned_response(self.context["request"].user, response=instance, **values)


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["id", "name"]

    def create(self, validated_data: dict[str, Any]) -> Disposition:
        return do_save_disposition(self.context["request"].user, name=validated_data["name"])

    def update(self, instance: Disposition, validated_data: dict[str, Any]) -> Disposition:
        name = validated_data.get("name", instance.name)
        return do_save_disposition(self.context["request"].user, name=name, disposition=instance)


class CannedResponseViewSet(viewsets.ModelViewSet):
    queryset = CannedResponse.objects.all()
    serializer_class = CannedResponseSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: CannedResponse) -> None:
        do_delete_canned_response(self.request.user, instance)  # type: ignore[arg-type]


class DispositionViewSet(viewsets.ModelViewSet):
    """Deleting a disposition interactions carry answers 409 disposition_in_use."""

    queryset = Disposition.objects.all()
    serializer_class = DispositionSerializer
    permission_classes = [IsTenantAdmin]

    def perform_destroy(self, instance: Disposition) -> None:
        do_delete_disposition(self.request.user, instance)  # type: ignore[arg-type]


class AgentReplyApi(APIView):
    class ReplyInputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=4000, allow_blank=True)
        note = serializers.BooleanField(default=False)

    @extend_schema(request=ReplyInputSerializer, responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        data = self.ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        message = do_agent_reply(
            _interaction_for(user, pk), user, data.validated_data["body"], note=data.validated_data["note"]
        )
        return Response({"seq": message.seq}, status=status.HTTP_201_CREATED)
