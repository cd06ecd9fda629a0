from django.urls import path

from . import apis

urlpatterns = [
    path("auth/token", apis.TokenApi.as_view(), name="api-token"),
    path("me", apis.MeApi.as_view(), name="api-me"),
    path("team/members", apis.TeamMemberListApi.as_view(), name="api-team-members"),
    path("team/invitations", apis.InvitationListApi.as_view(), name="api-team-invitations"),
    path(
        "team/invitations/<int:invitation_id>/resend",
        apis.InvitationResendApi.as_view(),
        name="api-team-invitation-resend",
    ),
    path(
        "team/invitations/<int:invitation_id>/revoke",
        apis.InvitationRevokeApi.as_view(),
        name="api-team-invitation-revoke",
    ),
    path("team/members/create", apis.TeamMemberCreateApi.as_view(), name="api-team-member-create"),
    path("team/members/<int:user_id>/activate", apis.TeamMemberActivateApi.as_view(), name="api-team-member-activate"),
    path("team/members/<int:user_id>/role", apis.TeamMemberRoleApi.as_view(), name="api-team-member-role"),
    path(
        "team/members/<int:user_id>/deactivate",
        apis.TeamMemberDeactivateApi.as_view(),
        name="api-team-member-deactivate",
    ),
]
