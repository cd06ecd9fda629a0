from __future__ import annotations

from typing import cast

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ApplicationError, NotFound
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema

from .actions import (
    check_new_user,
    check_profile,
    do_activate_user,
    do_change_user_role,
    do_create_user,
    do_deactivate_user,
    do_issue_api_token,
    do_update_profile,
)
from .invitations import check_invitation, do_invite_user, do_resend_invitation, do_revoke_invitation
from .models import Invitation, User
from .permissions import IsTeamManager
from .selectors import all_team_members, get_invitation, get_team_member, pending_invitations


class TokenApi(APIView):
    """Exchange a tenant user's email and password for an API token (`Authorization: Token <key>`)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    class TokenInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=TokenInputSerializer, responses={200: TokenOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check_rate(current_schema(), "token", request.META.get("REMOTE_ADDR", ""), 30, 60)
        user = authenticate(
            request._request, username=data.validated_data["email"].lower(), password=data.validated_data["password"]
        )
        if user is None:
            raise ApplicationError(_("Wrong email or password."), code="bad_credentials", status=401)
        assert isinstance(user, User)
        return Response({"token": do_issue_api_token(user)})


class MeApi(APIView):
    """The signed-in user; PATCH changes their own profile (the name customers and the team see, and
    the language of their pages: "" for the browser's), as the profile page does."""

    class MeOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        language = serializers.CharField()
        role = serializers.CharField()
        tenant = serializers.DictField()

    class MeInputSerializer(serializers.Serializer):
        full_name = serializers.CharField(max_length=150, required=False)
        language = serializers.CharField(max_length=16, required=False, allow_blank=True)

    def _payload(self, request: Request, user: User) -> Response:
        tenant = request.tenant  # type: ignore[attr-defined]
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "language": user.language,
                "role": user.role,
                "tenant": {"name": tenant.name, "subdomain": tenant.subdomain},
            }
        )

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        return self._payload(request, cast(User, request.user))

    @extend_schema(request=MeInputSerializer, responses={200: MeOutputSerializer})
    def patch(self, request: Request) -> Response:
        user = cast(User, request.user)
        data = self.MeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {"full_name": user.full_name, "language": user.language, **data.validated_data}
        user = do_update_profile(user, check_profile(values), actor=user)
        return self._payload(request, user)


class TeamMemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    is_active = serializers.BooleanField()


class TeamMemberListApi(APIView):
    """Everyone on the team, active or not (owner and admins)."""

    permission_classes = [IsTeamManager]

    class TeamMemberListOutputSerializer(TeamMemberOutputSerializer):
        pass

    @extend_schema(responses={200: TeamMemberListOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(TeamMemberOutputSerializer(all_team_members(), many=True).data)


class TeamMemberCreateApi(APIView):
    """Create an active user; a seat-taking role needs a free seat (409 seat_limit_reached)."""

    permission_classes = [IsTeamManager]

    class TeamMemberCreateInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        full_name = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)
        role = serializers.ChoiceField(choices=["agent", "supervisor", "admin"], default="agent")

    class TeamMemberCreateOutputSerializer(TeamMemberOutputSerializer):
        pass

    @extend_schema(request=TeamMemberCreateInputSerializer, responses={201: TeamMemberCreateOutputSerializer})
    def post(self, request: Request) -> Response:
        user = do_create_user(check_new_user(request.data), actor=cast(User, request.user))
        return Response(TeamMemberOutputSerializer(user).data, status=201)


def _member(user_id: int) -> User:
    user = get_team_member(user_id)
    if user is None:
        raise NotFound(_("No such team member."))
    return user


class TeamMemberActivateApi(APIView):
    """Activate a user; refused with 409 seat_limit_reached when no seat is free."""

    permission_classes = [IsTeamManager]

    class TeamMemberActivateOutputSerializer(TeamMemberOutputSerializer):
        pass

    @extend_schema(request=None, responses={200: TeamMemberActivateOutputSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        user = do_activate_user(_member(user_id), actor=cast(User, request.user))
        return Response(TeamMemberOutputSerializer(user).data)


class TeamMemberDeactivateApi(APIView):
    """Deactivate a user and free their seat."""

    permission_classes = [IsTeamManager]

    class TeamMemberDeactivateOutputSerializer(TeamMemberOutputSerializer):
        pass

    @extend_schema(request=None, responses={200: TeamMemberDeactivateOutputSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        user = do_deactivate_user(_member(user_id), actor=cast(User, request.user))
        return Response(TeamMemberOutputSerializer(user).data)


class TeamMemberRoleApi(APIView):
    """Give a team member another role (agent, supervisor or admin). Their open desktops
    re-authorise at once."""

    permission_classes = [IsTeamManager]

    class TeamMemberRoleInputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=["agent", "supervisor", "admin"])

    class TeamMemberRoleOutputSerializer(TeamMemberOutputSerializer):
        pass

    @extend_schema(request=TeamMemberRoleInputSerializer, responses={200: TeamMemberRoleOutputSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        data = self.TeamMemberRoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = do_change_user_role(_member(user_id), data.validated_data["role"], actor=cast(User, request.user))
        return Response(TeamMemberOutputSerializer(user).data)


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()
    status = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


def _invitation(invitation_id: int) -> Invitation:
    invitation = get_invitation(invitation_id)
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


class InvitationListApi(APIView):
    """Pending invitations; POST invites someone by email (a signed link, valid 7 days, single use).
    A seat-taking role needs a free seat (409 seat_limit_reached); 502 mail_not_sent when the mail
    server refused (the invitation is kept: re-send it)."""

    permission_classes = [IsTeamManager]

    class InvitationInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=["agent", "supervisor", "admin"], default="agent")

    @extend_schema(responses={200: InvitationOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(InvitationOutputSerializer(pending_invitations(), many=True).data)

    @extend_schema(request=InvitationInputSerializer, responses={201: InvitationOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = do_invite_user(
            check_invitation(data.validated_data),
            actor=cast(User, request.user),
            tenant=request.tenant,  # type: ignore[attr-defined]
        )
        return Response(InvitationOutputSerializer(invitation).data, status=201)


class InvitationResendApi(APIView):
    """Send the invitation again with a new link (earlier links stop working)."""

    permission_classes = [IsTeamManager]

    @extend_schema(request=None, responses={200: InvitationOutputSerializer})
    def post(self, request: Request, invitation_id: int) -> Response:
        invitation = do_resend_invitation(
            _invitation(invitation_id),
            actor=cast(User, request.user),
            tenant=request.tenant,  # type: ignore[attr-defined]
        )
        return Response(InvitationOutputSerializer(invitation).data)


class InvitationRevokeApi(APIView):
    """Withdraw the invitation: its link stops working."""

    permission_classes = [IsTeamManager]

    @extend_schema(request=None, responses={200: InvitationOutputSerializer})
    def post(self, request: Request, invitation_id: int) -> Response:
        invitation = do_revoke_invitation(_invitation(invitation_id), actor=cast(User, request.user))
        return Response(InvitationOutputSerializer(invitation).data)
