from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.TenantLoginView.as_view(), name="login"),
    path("logout/", views.TenantLogoutView.as_view(), name="logout"),
    path("auth/handoff/", views.handoff, name="login-handoff"),
    path("password-reset/", views.TenantPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.TenantPasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.TenantPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.TenantPasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("profile/language/", views.profile_language, name="profile-language"),
    path("invitation/<str:token>/", views.accept_invitation, name="invitation-accept"),
    path("team/", views.team, name="team"),
    path("team/invite/", views.invite, name="team-invite"),
    path("team/invitations/<int:invitation_id>/resend/", views.resend_invitation, name="team-invitation-resend"),
    path("team/invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="team-invitation-revoke"),
    path("team/<int:user_id>/role/", views.change_role, name="team-role"),
    path("team/<int:user_id>/activate/", views.activate_member, name="team-activate"),
    path("team/<int:user_id>/deactivate/", views.deactivate_member, name="team-deactivate"),
]
