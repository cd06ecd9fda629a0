from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.tenancy import current_schema

from .actions import do_redeem_login_handoff
from .forms import EmailLoginForm
from .selectors import team_members


class TenantLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


def handoff(request: HttpRequest) -> HttpResponse:
    user = do_redeem_login_handoff(current_schema(), request.GET.get("token", ""))
    if user is None:
        messages.error(request, _("That sign-in link has expired. Please sign in."))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome to your contact center!"))
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/dashboard.html", {"members": team_members()})
