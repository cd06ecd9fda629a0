from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.core.errors import ApplicationError
from apps.core.hooks import run_hooks

from .actions import do_signup
from .selectors import tenant_url
from .signup import client_address, throttle_signup
from .validation import check_signup


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/home.html")


@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    values = {k: request.POST.get(k, "") for k in ("company_name", "subdomain", "email")}
    if request.method == "GET":
        return render(request, "tenants/signup.html", {"values": values, "errors": {}})
    try:
        throttle_signup(client_address(request))
        data = check_signup({k: request.POST.get(k, "") for k in ("company_name", "subdomain", "email", "password")})
        result = do_signup(data)
    except ApplicationError as exc:
        return render(
            request,
            "tenants/signup.html",
            {"values": values, "errors": exc.fields, "message": exc.message},
            status=exc.status,
        )
    (token,) = run_hooks("login_handoff", schema_name=result.tenant.schema_name, user=result.owner)  # accounts
    return HttpResponseRedirect(tenant_url(result.tenant, f"/auth/handoff/?token={token}"))
