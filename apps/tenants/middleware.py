"""HTTP tenant resolution: django-tenants' middleware, answering an unknown host with a clear 404
page instead of an exception."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django_tenants.middleware.main import TenantMainMiddleware as BaseTenantMainMiddleware


class TenantMainMiddleware(BaseTenantMainMiddleware):
    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse(
                {"error": {"code": "unknown_host", "message": f"No contact center at {hostname}.", "fields": {}}},
                status=404,
            )
        return HttpResponseNotFound(render_to_string("tenants/unknown_host.html", {"hostname": hostname}))

    def get_tenant(self, domain_model, hostname):  # type: ignore[no-untyped-def]
        tenant = super().get_tenant(domain_model, hostname)
        if tenant.is_template:
            raise domain_model.DoesNotExist
        return tenant
