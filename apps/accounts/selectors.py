from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def team_members() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("role", "email")


def all_team_members() -> QuerySet[User]:
    """Everyone, active or not, for the team page."""
    return User.objects.order_by("-is_active", "role", "email")


def get_team_member(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()
