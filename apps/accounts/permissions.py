"""Only the owner and admins manage the team (and billing, which uses these same checks)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import User

MANAGER_ROLES = (User.Role.OWNER, User.Role.ADMIN)


def can_manage_team(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) in MANAGER_ROLES)


def team_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_team(request.user):
            return render(request, "accounts/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


class IsTeamManager(BasePermission):
    message = "Only the owner and admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_manage_team(request.user)
