from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Invitation, User


def team_members() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("role", "email")


def all_team_members() -> QuerySet[User]:
    """Everyone, active or not, for the team page."""
    return User.objects.order_by("-is_active", "role", "email")


def get_team_member(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def session_user(session_key: str | None) -> User | None:
    """The active user signed in with this session in the current tenant schema, or None (signed
    out, expired, deactivated, password changed since). As Django's auth middleware decides."""
    if not session_key:
        return None
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(request)
    return user if isinstance(user, User) and user.is_authenticated else None


def pending_invitations() -> QuerySet[Invitation]:
    """Invitations not yet accepted or withdrawn (expired ones too: the team page offers to re-send)."""
    return Invitation.objects.filter(status=Invitation.Status.PENDING).select_related("invited_by")


def get_invitation(invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(pk=invitation_id).first()
