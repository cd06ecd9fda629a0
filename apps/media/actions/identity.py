"""Recorded identity checks during a video call (seed 003): the agent photographs the customer's
identity document and face from the call, the customer agrees aloud to the consent statement, and the
agent decides. Each step is a call event (a mark on the recording's timeline) and an audit row; the
verdict seals the check with a digest over its steps and photos (`identity_digest`)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed

from ..models import CallEvent, CallParty, IdentityCheck, IdentityStep
from ..selectors import identity_digest
from .calls import _event, _locked, agent_party

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png"}


def consent_statement() -> str:
    """What the agent reads to the customer, in the agent's language, kept word for word on the step."""
    return _(
        "I agree that this video call is recorded and that the photos of my identity document and of my "
        "face taken during it are kept to verify my identity."
    )


def _in_call(call_id: Any, user: User) -> Any:
    call = _locked(call_id)
    if not CallParty.objects.filter(call=call, user=user, left_at__isnull=True).exists():
        raise PermissionDenied(_("You are not in this call."))
    if call.state == call.State.ENDED:
        raise ValidationFailed(_("This call has ended."))
    return call


def _open_check(check_id: Any, user: User) -> IdentityCheck:
    if not isinstance(check_id, int):
        raise NotFound(_("No such identity check."))
    check = IdentityCheck.objects.select_for_update().filter(pk=check_id).first()
    if check is None:
        raise NotFound(_("No such identity check."))
    if check.started_by_id != user.pk:
        raise PermissionDenied(_("Only the agent who started this check may continue it."))
    if check.status != IdentityCheck.Status.IN_PROGRESS:
        raise ValidationFailed(_("This identity check is already decided."))
    return check


def do_start_identity_check(user: User, call_id: Any) -> IdentityCheck:
    with transaction.atomic():
        call = _in_call(call_id, user)
        if call.mode == call.Mode.AUDIO:
            raise ValidationFailed(_("An identity check needs the customer's video: switch the call to video first."))
        check = IdentityCheck.objects.filter(call=call, status=IdentityCheck.Status.IN_PROGRESS).first()
        if check is not None:
            return check  # one at a time: the open one goes on
        check = IdentityCheck.objects.create(call=call, interaction_id=call.interaction_id, started_by=user)
        _event(call, CallEvent.Kind.IDENTITY, agent_party(user.pk), check=check.pk, step="started")
        record_audit(user, "call.identity_check_started", check, call=call.call_id)
    return check


def do_add_identity_step(user: User, check_id: Any, kind: Any, upload: Any = None) -> IdentityStep:
    """A photo (`document`, `face`: the JPEG or PNG the desktop took of the customer's video) or the
    customer's consent (`consent`: the statement as read). Taking a step again replaces nothing: each
    is kept, the last of a kind counts."""
    if kind not in IdentityStep.Kind.values:
        raise ValidationFailed(
            _("Which step?"), fields={"kind": [_("One of: %(k)s.") % {"k": ", ".join(IdentityStep.Kind.values)}]}
        )
    data, content_type, text = b"", "", ""
    if kind == IdentityStep.Kind.CONSENT:
        text = consent_statement()
        data = text.encode()
    else:
        if upload is None:
            raise ValidationFailed(_("Send the photo."), fields={"file": [_("Required.")]})
        content_type = (getattr(upload, "content_type", "") or "").split(";")[0]
        if content_type not in PHOTO_TYPES:
            raise ValidationFailed(_("A photo must be a JPEG or PNG picture."), fields={"file": [_("Not a picture.")]})
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            raise ValidationFailed(_("A photo is limited to 5 MB."), fields={"file": [_("Too large.")]})
        data = upload.read()
        if not data:
            raise ValidationFailed(_("The photo is empty."), fields={"file": [_("Empty file.")]})
    if not isinstance(check_id, int):
        raise NotFound(_("No such identity check."))
    with transaction.atomic():
        call_id = IdentityCheck.objects.filter(pk=check_id).values_list("call__call_id", flat=True).first()
        if call_id is None:
            raise NotFound(_("No such identity check."))
        call = _in_call(call_id, user)  # the call first, then the check (the lock order)
        open_check = _open_check(check_id, user)
        step = IdentityStep(
            identity_check=open_check,
            kind=kind,
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
            text=text,
        )
        if kind != IdentityStep.Kind.CONSENT:
            step.file.save(f"{kind}.{'png' if content_type == 'image/png' else 'jpg'}", ContentFile(data), save=False)
        step.save()
        _event(call, CallEvent.Kind.IDENTITY, agent_party(user.pk), check=open_check.pk, step=kind)
        record_audit(user, "call.identity_step", open_check, step=kind, sha256=step.sha256)
    return step


def do_decide_identity_check(user: User, check_id: Any, result: Any, note: Any = "") -> IdentityCheck:
    """Verified (every step taken) or failed, with a note; sealed with the digest."""
    if result not in (IdentityCheck.Status.VERIFIED, IdentityCheck.Status.FAILED):
        raise ValidationFailed(_("Verified or failed?"), fields={"result": [_("One of: verified, failed.")]})
    if not isinstance(note, str) or len(note) > 500:
        raise ValidationFailed(_("A note of 500 characters at most."), fields={"note": [_("Too long.")]})
    with transaction.atomic():
        check = _open_check(check_id, user)
        steps = list(check.steps.all())
        missing = [k for k in IdentityStep.Kind.values if not any(s.kind == k for s in steps)]
        if result == IdentityCheck.Status.VERIFIED and missing:
            labels = ", ".join(str(IdentityStep.Kind(k).label) for k in missing)
            raise ValidationFailed(
                _("Take every step before verifying: %(m)s missing.") % {"m": labels},
                fields={"result": [_("Steps missing.")]},
            )
        check.status, check.decided_by, check.decided_at = result, user, timezone.now()
        check.note = note.strip()
        check.digest = identity_digest(check, steps)
        check.save(update_fields=["status", "decided_by", "decided_at", "note", "digest"])
        _event(check.call, CallEvent.Kind.IDENTITY, agent_party(user.pk), check=check.pk, step=result)
        record_audit(user, "call.identity_checked", check, result=result, digest=check.digest)
    return check
