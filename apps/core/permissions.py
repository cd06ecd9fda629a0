from typing import Any

from rest_framework.permissions import BasePermission


class IsTenantAdmin(BasePermission):
    """Owners and admins of the tenant manage its configuration."""

    message = "Only the owner or an admin can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in {"owner", "admin"})


class IsSupervisor(BasePermission):
    message = "Only supervisors, admins and the owner can see this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in {"owner", "admin", "supervisor"})
