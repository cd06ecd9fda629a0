"""The tenant's administration pages (on the tenant's host, for its owner and admins), built on
Django's admin. Access follows the tenant role, not Django's is_staff flag."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

ADMIN_ROLES = {"owner", "admin"}


def is_tenant_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated and getattr(user, "role", None) in ADMIN_ROLES)


class TenantAdminSite(admin.AdminSite):
    site_header = _("Contact center administration")
    site_title = _("Administration")
    index_title = _("Agents, queues and routing")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_tenant_admin(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in, but not an owner or admin: say so (sending them to sign in again would loop).
            return render(
                request,
                "core/forbidden.html",
                {"message": _("Only the owner and admins can open the administration.")},
                status=403,
            )
        # One sign-in page for the whole product.
        return redirect_to_login(request.get_full_path(), reverse("login"))


class RoleAdmin(admin.ModelAdmin):
    """Owners and admins may view, add, change and delete."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_tenant_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_tenant_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)


class RoleInline(admin.TabularInline):
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_tenant_admin(request)


tenant_admin = TenantAdminSite(name="tenant_admin")
