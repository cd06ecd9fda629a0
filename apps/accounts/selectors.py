from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def team_members() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("role", "email")
