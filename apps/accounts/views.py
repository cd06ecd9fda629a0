from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ApplicationError
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema

from .actions import (
    ASSIGNABLE_ROLES,
    check_new_user,
    do_activate_user,
    do_create_user,
    do_deactivate_user,
    do_note_signed_out,
    do_redeem_login_handoff,
)
from .forms import EmailLoginForm
from .models import User
from .permissions import team_manager_required
from .selectors import all_team_members, get_team_member


class TenantLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


class TenantLogoutView(LogoutView):
    """Sign out, and close this session's open desktop sockets at once."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if isinstance(user, User):
            do_note_signed_out(user)
        return response


def handoff(request: HttpRequest) -> HttpResponse:
    user = do_redeem_login_handoff(current_schema(), request.GET.get("token", ""))
    if user is None:
        messages.error(request, _("That sign-in link has expired. Please sign in."))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome to your contact center!"))
    return redirect("dashboard")


def _team_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "members": all_team_members(),
        "roles": [(r.value, r.label) for r in ASSIGNABLE_ROLES],
        "billing_enabled": False,
        "takes_seat_roles": [],
    }
    # Seats (account, in use, where to add more) come from billing, which registers for this hook.
    for extra_context in run_hooks("team_page_context", tenant=request.tenant):  # type: ignore[attr-defined]
        context.update(extra_context)
    context |= {
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, "accounts/team.html", context, status=status)


def _refusal(request: HttpRequest, exc: ApplicationError, **extra: Any) -> HttpResponse:
    seat_limit = getattr(exc, "add_seats_url", "")  # billing's SeatLimitReached says where to add seats
    return _team_page(
        request, status=exc.status, error=exc.message, errors=exc.fields, seat_limit_url=seat_limit, **extra
    )


@team_manager_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    """The team: everyone, with seats used and paid; invite (create) a user."""
    if request.method == "GET":
        return _team_page(request)
    fields = ("email", "full_name", "password", "role")
    values = {k: request.POST.get(k, "") for k in fields if k != "password"}
    try:
        data = check_new_user({k: request.POST.get(k, "") for k in fields})
        user = do_create_user(data, actor=cast(User, request.user))
    except ApplicationError as exc:
        return _refusal(request, exc, values=values)
    messages.success(request, _("%(name)s was added to the team.") % {"name": user.display_name})
    return redirect("team")


def _member(user_id: int) -> User:
    user = get_team_member(user_id)
    if user is None:
        raise Http404
    return user


@team_manager_required
@require_POST
def activate_member(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        user = do_activate_user(_member(user_id), actor=cast(User, request.user))
    except ApplicationError as exc:
        return _refusal(request, exc)
    messages.success(request, _("%(name)s can sign in again.") % {"name": user.display_name})
    return redirect("team")


@team_manager_required
@require_POST
def deactivate_member(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        user = do_deactivate_user(_member(user_id), actor=cast(User, request.user))
    except ApplicationError as exc:
        return _refusal(request, exc)
    messages.success(request, _("%(name)s was deactivated; their seat is free.") % {"name": user.display_name})
    return redirect("team")
