"""Invitations (actions): an owner or admin invites someone by email; the emailed link, a signed token
that expires and works once, lets them choose their name and password on the tenant's host, which
makes their user (and, through the `user_created` hook, their agent profile).

Seats: inviting checks that a seat is free now (billing's `seats_check` hook), so nobody is invited
into a team that is full; accepting checks again under billing's lock, as `do_create_user` does,
since seats may have filled meanwhile."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema
from apps.core.validation import FieldErrors
from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_url

from .actions import ASSIGNABLE_ROLES, check_manager, team_audit
from .audit import record_audit
from .mail import send_templated_mail
from .models import Invitation, User

logger = logging.getLogger(__name__)

INVITATION_SALT = "accounts.invitation"
INVITATION_DAYS = 7


class InvitationInvalid(ApplicationError):
    """The link cannot be used: `reason` is "invalid" (tampered, or for another tenant), "expired",
    "used", "revoked" or "replaced" (a newer link was sent)."""

    code = "invitation_invalid"
    status = 410

    def __init__(self, reason: str) -> None:
        messages = {
            "invalid": _("This invitation link is not valid. Check that you copied the whole link."),
            "expired": _("This invitation has expired. Ask whoever invited you to send a new one."),
            "used": _("This invitation has already been used. Sign in with your email and password."),
            "revoked": _("This invitation was withdrawn. Ask whoever invited you if you think this is a mistake."),
            "replaced": _("A newer invitation was sent to you: use the link in the latest email."),
        }
        super().__init__(messages.get(reason, messages["invalid"]))
        self.reason = reason


class MailNotSent(ApplicationError):
    code = "mail_not_sent"
    status = 502


@dataclass(frozen=True)
class InvitationInput:
    email: str
    role: str


def check_invitation(data: Any) -> InvitationInput:
    """Clean input for `do_invite_user`, or ValidationFailed with every field's errors."""
    check = FieldErrors(data)
    email = check.text("email", 254).strip().lower()
    role = check.text("role", 16).strip() or User.Role.AGENT
    check.email("email", email)
    if check.ok("email") and User.objects.filter(email=email).exists():
        check.add("email", _("Someone on your team already uses this email."))
    if check.ok("email") and Invitation.objects.filter(email=email, status=Invitation.Status.PENDING).exists():
        check.add("email", _("This person is already invited: re-send their invitation below."))
    if role not in ASSIGNABLE_ROLES:
        check.add("role", _("Choose agent, supervisor or admin."))
    check.raise_if_any()
    return InvitationInput(email=email, role=role)


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"s": current_schema(), "i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def _send(invitation: Invitation, tenant: Tenant, actor: User) -> None:
    """Email the link (after the caller's transaction committed). A refusing mail server is the
    inviter's to know: the invitation is saved and can be re-sent."""
    context = {
        "company": tenant.name,
        "inviter": actor.display_name,
        "role": invitation.get_role_display(),
        "link": tenant_url(tenant, f"/invitation/{invitation_token(invitation)}/"),
        "days": INVITATION_DAYS,
    }
    try:
        send_templated_mail("accounts/email/invitation", context, invitation.email)
    except Exception as exc:
        logger.exception("Could not send the invitation %s", invitation.pk)
        raise MailNotSent(
            _("The invitation to %(email)s is saved, but the email could not be sent. Try “Re-send” later.")
            % {"email": invitation.email}
        ) from exc


def do_invite_user(data: InvitationInput, *, actor: User, tenant: Tenant) -> Invitation:
    """Invite `data.email` as `data.role` and email them the link. Refused (billing's SeatLimitReached)
    when a seat-taking role finds no free seat now."""
    check_manager(actor)
    with transaction.atomic():
        run_hooks("seats_check", role=data.role, adding=1)
        if (
            User.objects.filter(email=data.email).exists()
            or Invitation.objects.select_for_update()
            .filter(email=data.email, status=Invitation.Status.PENDING)
            .exists()
        ):
            raise ValidationFailed(
                _("Please correct the errors below."),
                fields={"email": [_("Someone on your team already uses or was invited with this email.")]},
            )
        now = timezone.now()
        invitation = Invitation.objects.create(
            email=data.email,
            role=data.role,
            nonce=secrets.token_hex(16),
            invited_by=actor,
            created_at=now,
            sent_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        record_audit(actor, "invitation.sent", invitation, email=data.email, role=data.role)
    _send(invitation, tenant, actor)
    return invitation


def _pending(invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None:
        raise InvitationInvalid("invalid")
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationFailed(_("This invitation was already accepted or withdrawn."))
    return invitation


def do_resend_invitation(invitation: Invitation, *, actor: User, tenant: Tenant) -> Invitation:
    """A new link, valid for INVITATION_DAYS from now; the links sent before stop working."""
    check_manager(actor)
    with transaction.atomic():
        invitation = _pending(invitation.pk)
        now = timezone.now()
        invitation.nonce = secrets.token_hex(16)
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        invitation.save(update_fields=["nonce", "sent_at", "expires_at"])
        record_audit(actor, "invitation.resent", invitation, email=invitation.email)
    _send(invitation, tenant, actor)
    return invitation


def do_revoke_invitation(invitation: Invitation, *, actor: User) -> Invitation:
    """Withdraw a pending invitation: its link stops working."""
    check_manager(actor)
    with transaction.atomic():
        invitation = _pending(invitation.pk)
        invitation.status = Invitation.Status.REVOKED
        invitation.save(update_fields=["status"])
        record_audit(actor, "invitation.revoked", invitation, email=invitation.email)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation this link names, or InvitationInvalid saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired as exc:
        raise InvitationInvalid("expired") from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid("invalid") from exc
    if not isinstance(data, dict) or data.get("s") != current_schema() or not isinstance(data.get("i"), int):
        raise InvitationInvalid("invalid")
    invitation = Invitation.objects.filter(pk=data["i"]).first()
    if invitation is None:
        raise InvitationInvalid("invalid")
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationInvalid("used")
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationInvalid("revoked")
    if not secrets.compare_digest(str(data.get("n", "")), invitation.nonce):
        raise InvitationInvalid("replaced")
    if invitation.is_expired:
        raise InvitationInvalid("expired")
    return invitation


def do_accept_invitation(token: str, data: Any) -> User:
    """The invitee chose their name and password: make their user (active, with the invited role) and
    mark the invitation used, once. Raises InvitationInvalid, ValidationFailed (the fields), or an
    ApplicationError when the team has no free seat any more."""
    check = FieldErrors(data)
    full_name = check.text("full_name", 150).strip()
    password = check.text("password", 256)
    if not full_name and check.ok("full_name"):
        check.add("full_name", _("Enter your name."))
    invitation = invitation_for_token(token)
    check.password("password", password, User(email=invitation.email, full_name=full_name))
    check.raise_if_any()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        invitation_for_token(token)  # again, under the lock: two tabs accepting at once make one user
        try:
            run_hooks("seats_check", role=invitation.role, adding=1)
        except ApplicationError as exc:
            raise ApplicationError(
                _("Your team has no free seat for you right now. Ask whoever invited you to add a seat."),
                code=exc.code,
                status=exc.status,
            ) from exc
        if User.objects.filter(email=invitation.email).exists():
            raise InvitationInvalid("used")
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name, role=invitation.role
        )
        invitation.status = Invitation.Status.ACCEPTED
        invitation.user = user
        invitation.save(update_fields=["status", "user"])
        team_audit(invitation.invited_by, user, "created", role=invitation.role, invitation=invitation.pk)
        record_audit(user, "invitation.accepted", invitation, user_id=user.pk)
        run_hooks("user_created", user=user, actor=invitation.invited_by)
    return user
