"""Users. A tenant's users live in the tenant's schema; the public schema holds the platform's own
staff (its admin)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.OWNER)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        AGENT = "agent", _("Agent")

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    # The language of their pages; blank: the browser's (Django's LocaleMiddleware decides).
    language = models.CharField(_("language"), max_length=16, blank=True, choices=settings.LANGUAGES)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def is_manager(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.ADMIN, self.Role.SUPERVISOR}


class TeamAuditEntry(models.Model):
    """One row per change to the team: who did what to whom, when."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.ForeignKey(User, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.subject_id}"


class AuditEntry(models.Model):
    """The tenant's audit log of configuration changes: one row per change an action made, who made it
    (None: the system), what it did (`verb`), to which object, and the new values (`data`).

    Every action that changes configuration (agents' skills and profiles, queues and their steps)
    writes one through `apps.accounts.audit.record_audit`, in its own transaction. The team's own log
    (TeamAuditEntry: users created, activated, deactivated) is older and stays as it is."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type} {self.object_id}"


class Invitation(models.Model):
    """An owner or admin asked someone to join the team. The emailed link carries a signed token naming
    this row and its `nonce`; re-sending changes the nonce (older links stop working). The user is
    made when the invitee accepts (sets their name and password)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=User.Role.choices, default=User.Role.AGENT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    nonce = models.CharField(max_length=32)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address (re-send reuses it).
            models.UniqueConstraint(
                fields=["email"], condition=models.Q(status="pending"), name="accounts_one_pending_invitation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
