"""Writes of the accounts app: one-time login hand-off from the public site to a tenant host, API
tokens, the team (create, activate, deactivate users; each checks the seats billing allows), a user's
own profile and password reset. Invitations are in `invitations.py`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from apps.core.errors import PermissionDenied, ValidationFailed
from apps.core.hooks import run_hooks
from apps.core.keys import redis_key
from apps.core.redis import get_redis
from apps.core.tenancy import current_schema
from apps.core.validation import FieldErrors

from .audit import record_audit
from .models import TeamAuditEntry, User
from .sessions import revoke_sockets_on_commit

HANDOFF_SALT = "accounts.login-handoff"
HANDOFF_SECONDS = 120


def do_issue_login_handoff(schema_name: str, user: User) -> str:
    """A signed, single-use token that logs `user` in on their tenant's host (cookies cannot cross
    from the public site to the tenant's subdomain)."""
    nonce = secrets.token_urlsafe(16)
    get_redis().set(redis_key(schema_name, "handoff", nonce.replace("_", "-")), str(user.pk), ex=HANDOFF_SECONDS)
    return signing.dumps({"s": schema_name, "u": user.pk, "n": nonce}, salt=HANDOFF_SALT)


def do_redeem_login_handoff(schema_name: str, token: str) -> User | None:
    """The user the token names, once; None when it is forged, expired, used or for another tenant."""
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != schema_name:
        return None
    stored = get_redis().getdel(redis_key(schema_name, "handoff", str(data.get("n", "")).replace("_", "-")))
    if stored is None or stored != str(data.get("u")):
        return None
    return User.objects.filter(pk=data["u"], is_active=True).first()


def do_issue_api_token(user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return str(token.key)


# --- the team --------------------------------------------------------------------------------------

MANAGER_ROLES = (User.Role.OWNER, User.Role.ADMIN)
# Roles a manager may give; there is one owner, made at sign-up.
ASSIGNABLE_ROLES = (User.Role.AGENT, User.Role.SUPERVISOR, User.Role.ADMIN)


def check_manager(actor: User) -> None:
    if actor.role not in MANAGER_ROLES or not actor.is_active:
        raise PermissionDenied(_("Only the owner and admins may manage the team."))


def team_audit(actor: User | None, subject: User, action: str, **data: Any) -> None:
    TeamAuditEntry.objects.create(actor=actor, subject=subject, action=action, data=data)


@dataclass(frozen=True)
class NewUserInput:
    email: str
    full_name: str
    password: str
    role: str


def check_new_user(data: Any) -> NewUserInput:
    """Clean input for `do_create_user`, or ValidationFailed with every field's errors."""
    check = FieldErrors(data)
    email = check.text("email", 254).strip().lower()
    full_name = check.text("full_name", 150).strip()
    password = check.text("password", 256)
    role = check.text("role", 16).strip() or User.Role.AGENT
    check.email("email", email)
    if check.ok("email") and User.objects.filter(email=email).exists():
        check.add("email", _("Someone on your team already uses this email."))
    if not full_name and check.ok("full_name"):
        check.add("full_name", _("Enter their name."))
    if role not in ASSIGNABLE_ROLES:
        check.add("role", _("Choose agent, supervisor or admin."))
    check.password("password", password, User(email=email, full_name=full_name))
    check.raise_if_any()
    return NewUserInput(email=email, full_name=full_name, password=password, role=role)


def do_create_user(data: NewUserInput, *, actor: User) -> User:
    """Add an active user to the team. A seat-taking role needs a free seat (billing's check, through
    the `seats_check` hook, under the billing account's lock until this transaction commits)."""
    check_manager(actor)
    with transaction.atomic():
        run_hooks("seats_check", role=data.role, adding=1)
        if User.objects.filter(email=data.email).exists():
            raise ValidationFailed(
                _("Please correct the errors below."),
                fields={"email": [_("Someone on your team already uses this email.")]},
            )
        user = User.objects.create_user(
            email=data.email, password=data.password, full_name=data.full_name, role=data.role
        )
        team_audit(actor, user, "created", role=data.role)
        run_hooks("user_created", user=user, actor=actor)
    return user


def do_activate_user(user: User, *, actor: User) -> User:
    """Let a deactivated user sign in again; refused when it would take a seat nobody paid for."""
    check_manager(actor)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            return user
        run_hooks("seats_check", role=user.role, adding=1)
        user.is_active = True
        user.save(update_fields=["is_active"])
        team_audit(actor, user, "activated")
    return user


def do_deactivate_user(user: User, *, actor: User) -> User:
    """Stop a user from signing in and free their seat. Nothing of theirs is deleted."""
    check_manager(actor)
    if user.pk == actor.pk:
        raise ValidationFailed(_("You cannot deactivate yourself."))
    if user.role == User.Role.OWNER:
        raise ValidationFailed(_("The owner cannot be deactivated."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return user
        user.is_active = False
        user.save(update_fields=["is_active"])
        Token.objects.filter(user=user).delete()
        team_audit(actor, user, "deactivated")
        # Their open desktops close now (4401), not when they next reconnect.
        revoke_sockets_on_commit(current_schema(), user.pk, "deactivated")
    return user


def do_change_user_role(user: User, role: str, *, actor: User) -> User:
    """Give a team member another role. Their open desktops re-authorise at once: what the new role
    may not do (a former admin's view of others' conversations) stops before the next event."""
    check_manager(actor)
    if role not in ASSIGNABLE_ROLES:
        raise ValidationFailed(
            _("Please correct the errors below."), fields={"role": [_("Choose agent, supervisor or admin.")]}
        )
    if user.pk == actor.pk:
        raise ValidationFailed(_("You cannot change your own role."))
    if user.role == User.Role.OWNER:
        raise ValidationFailed(_("The owner's role cannot be changed."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.role == role:
            return user
        before = user.role
        user.role = role
        user.save(update_fields=["role"])
        team_audit(actor, user, "role_changed", before=before, after=role)
        revoke_sockets_on_commit(current_schema(), user.pk, "role_changed")
    return user


def do_note_signed_out(user: User) -> None:
    """The user signed out of one session (the view has flushed it). Every socket of theirs checks
    its session again now; those of that session close (4401), the others go on."""
    revoke_sockets_on_commit(current_schema(), user.pk, "signed_out")


# --- a user's own profile and password ------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInput:
    full_name: str
    language: str


def check_profile(data: Any) -> ProfileInput:
    """Clean input for `do_update_profile`: the name customers and the team see, and the language of
    the user's pages (blank: the browser's)."""
    check = FieldErrors(data)
    full_name = check.text("full_name", 150).strip()
    language = check.text("language", 16).strip()
    if not full_name and check.ok("full_name"):
        check.add("full_name", _("Enter the name customers and your team will see."))
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        check.add("language", _("Choose one of the languages in the list."))
    check.raise_if_any()
    return ProfileInput(full_name=full_name, language=language)


def do_update_profile(user: User, data: ProfileInput, *, actor: User) -> User:
    """Change a user's display name and language. Only the user themselves may."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("You can only change your own profile."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.full_name = data.full_name
        user.language = data.language
        user.save(update_fields=["full_name", "language"])
        record_audit(actor, "user.profile_updated", user, full_name=data.full_name, language=data.language)
    return user


def do_reset_password(user: User, password: str) -> User:
    """Set the password a reset link allowed (the caller checked the link and the password). Every
    session of theirs ends (Django's session hash) and their open desktops close."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        record_audit(user, "user.password_reset", user)
        revoke_sockets_on_commit(current_schema(), user.pk, "signed_out")
    return user


def name_the_owner(tenant: Any) -> None:
    """tenants' `tenant_schema_created` hook (inside the new schema, in the sign-up's transaction).

    The sign-up form asks for no name; without one, customers chatting with the owner would see the
    start of their email address ("owner", "jane.doe"). Until they choose a name on their profile
    page, they answer as the business.

    The owner is announced through `user_created` like every new member, so they have their agent
    profile at once and can be put in a queue from the settings pages before opening the desktop."""
    for owner in User.objects.filter(role=User.Role.OWNER):
        if not owner.full_name:
            owner.full_name = tenant.name[:150]
            owner.save(update_fields=["full_name"])
            record_audit(None, "user.profile_updated", owner, full_name=owner.full_name)
        run_hooks("user_created", user=owner, actor=None)
