from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.TenantLoginView.as_view(), name="login"),
    path("logout/", views.TenantLogoutView.as_view(), name="logout"),
    path("auth/handoff/", views.handoff, name="login-handoff"),
    path("team/", views.team, name="team"),
    path("team/<int:user_id>/activate/", views.activate_member, name="team-activate"),
    path("team/<int:user_id>/deactivate/", views.deactivate_member, name="team-deactivate"),
]
