from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ApplicationError, RateLimited
from apps.core.hooks import run_hooks
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema
from apps.tenants.selectors import tenant_url

from .actions import (
    ASSIGNABLE_ROLES,
    check_new_user,
    check_profile,
    do_activate_user,
    do_change_user_role,
    do_create_user,
    do_deactivate_user,
    do_note_signed_out,
    do_redeem_login_handoff,
    do_update_profile,
)
from .forms import EmailLoginForm, TenantPasswordResetForm, TenantSetPasswordForm, password_reset_tokens
from .invitations import (
    InvitationInvalid,
    MailNotSent,
    check_invitation,
    do_accept_invitation,
    do_invite_user,
    do_resend_invitation,
    do_revoke_invitation,
    invitation_for_token,
)
from .models import Invitation, User
from .permissions import team_manager_required
from .selectors import all_team_members, get_invitation, get_team_member, pending_invitations


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
        "invitations": pending_invitations(),
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
        "invite_values": {},
        "invite_errors": {},
        **extra,
    }
    return render(request, "accounts/team.html", context, status=status)


def _refusal(request: HttpRequest, exc: ApplicationError, *, form: str = "", **extra: Any) -> HttpResponse:
    """The team page again, with the refusal on top and each field's error beside its field (`form`:
    "invite" for the invitation form's fields, else the add form's)."""
    seat_limit = getattr(exc, "add_seats_url", "")  # billing's SeatLimitReached says where to add seats
    errors_key = f"{form}_errors" if form else "errors"
    return _team_page(
        request, status=exc.status, error=exc.message, seat_limit_url=seat_limit, **{errors_key: exc.fields}, **extra
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


@team_manager_required
@require_POST
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        user = do_change_user_role(_member(user_id), request.POST.get("role", ""), actor=cast(User, request.user))
    except ApplicationError as exc:
        return _refusal(request, exc)
    messages.success(
        request, _("%(name)s is now %(role)s.") % {"name": user.display_name, "role": user.get_role_display()}
    )
    return redirect("team")


# --- invitations -------------------------------------------------------------------------------------


@team_manager_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    values = {k: request.POST.get(k, "") for k in ("email", "role")}
    try:
        data = check_invitation(values)
        invitation = do_invite_user(data, actor=cast(User, request.user), tenant=request.tenant)  # type: ignore[attr-defined]
    except MailNotSent as exc:  # saved: the list below offers to re-send
        messages.error(request, exc.message)
        return redirect("team")
    except ApplicationError as exc:
        return _refusal(request, exc, form="invite", invite_values=values)
    messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
    return redirect("team")


def _invitation(invitation_id: int) -> Invitation:
    invitation = get_invitation(invitation_id)
    if invitation is None:
        raise Http404
    return invitation


@team_manager_required
@require_POST
def resend_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = do_resend_invitation(
            _invitation(invitation_id),
            actor=cast(User, request.user),
            tenant=request.tenant,  # type: ignore[attr-defined]
        )
    except MailNotSent as exc:
        messages.error(request, exc.message)
        return redirect("team")
    except ApplicationError as exc:
        return _refusal(request, exc)
    messages.success(request, _("A new invitation was sent to %(email)s.") % {"email": invitation.email})
    return redirect("team")


@team_manager_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = do_revoke_invitation(_invitation(invitation_id), actor=cast(User, request.user))
    except ApplicationError as exc:
        return _refusal(request, exc)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("team")


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page (no sign-in): choose a name and password, then they are signed in."""
    try:
        invitation = invitation_for_token(token)
    except InvitationInvalid as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=exc.status)
    context: dict[str, Any] = {"invitation": invitation, "values": {}, "errors": {}}
    if request.method == "POST":
        values = {"full_name": request.POST.get("full_name", ""), "password": request.POST.get("password", "")}
        try:
            user = do_accept_invitation(token, values)
        except InvitationInvalid as exc:
            return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=exc.status)
        except ApplicationError as exc:
            context |= {"error": exc.message, "errors": exc.fields, "values": {"full_name": values["full_name"]}}
            return render(request, "accounts/invitation_accept.html", context, status=exc.status)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to the team, %(name)s!") % {"name": user.display_name})
        return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", context)


# --- the user's own profile ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    context: dict[str, Any] = {"languages": settings.LANGUAGES, "values": {}, "errors": {}}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("full_name", "language")}
        try:
            user = do_update_profile(user, check_profile(values), actor=user)
        except ApplicationError as exc:
            context |= {"error": exc.message, "errors": exc.fields, "values": values}
            return render(request, "accounts/profile.html", context, status=exc.status)
        # The message is shown on the next page, in the language just chosen.
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile")
        # Signed out too (the sign-in page), the same language; none chosen: the browser's again.
        if user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, user.language, samesite=settings.LANGUAGE_COOKIE_SAMESITE
            )
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    context["values"] = {"full_name": user.full_name, "language": user.language}
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def profile_language(request: HttpRequest) -> HttpResponse:
    """The header's language menu, for a signed-in user: the choice is their profile's language (the
    middleware reads it on every page), so it sticks and is the same on every device."""
    user = cast(User, request.user)
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    try:
        user = do_update_profile(
            user, check_profile({"full_name": user.full_name or user.display_name, "language": language}), actor=user
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(target)
    response = redirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


# --- forgotten passwords (Django's views, the product's pages; links to the tenant's own host) ------------


class TenantPasswordResetView(PasswordResetView):
    """Same answer whether or not the address belongs to someone: nobody learns who is on the team."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = TenantPasswordResetForm
    token_generator = password_reset_tokens
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        tenant = self.request.tenant  # type: ignore[attr-defined]
        # Nobody's inbox is flooded: past the limits no mail goes out, and the page says the same.
        try:
            check_rate(current_schema(), "password-reset", form.cleaned_data["email"].lower(), 5, 3600)
            check_rate(current_schema(), "password-reset-ip", self.request.META.get("REMOTE_ADDR", ""), 30, 3600)
        except RateLimited:
            return redirect(self.get_success_url())
        # The link names the tenant's own host (its configured domain), never what the request's Host said.
        self.extra_email_context = {"base_url": tenant_url(tenant, ""), "company": tenant.name}
        return super().form_valid(form)


class TenantPasswordResetDoneView(PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class TenantPasswordResetConfirmView(PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = TenantSetPasswordForm
    token_generator = password_reset_tokens
    success_url = reverse_lazy("password_reset_complete")


class TenantPasswordResetCompleteView(PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
