"""Reads of the media app, for the signaling consumers, the API and the desktop."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings

from apps.accounts.models import User

from .engine import leases
from .models import Call, IdentityCheck, IdentityStep, QueueCallMedia, Recording


def call_media_owner(schema_name: str, call_id: str) -> dict[str, Any] | None:
    """The media worker holding the call: {"worker", "channel"}, or None when no live worker does
    (never started, ended, or its worker died: then `call.media_lost` was or will be published)."""
    lease = leases.read(schema_name, call_id)
    return None if lease is None else {"worker": lease.worker, "channel": lease.channel}


def is_call_media_alive(schema_name: str, call_id: str) -> bool:
    return leases.read(schema_name, call_id) is not None


def recording_for_call(call_id: str) -> Recording | None:
    """Precondition: the connection is on the tenant's schema."""
    return Recording.objects.filter(call_id=call_id).first()


def turn_credentials(user_id: str, now: float | None = None) -> tuple[str, str]:
    """coturn's REST-API scheme: username `<expiry>:<id>`, password base64(HMAC-SHA1(secret, username))."""
    expiry = int((now if now is not None else time.time()) + settings.TURN_TTL_SECONDS)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user_id: str) -> list[dict[str, Any]]:
    """RTCIceServer dictionaries for a browser. `user_id` names who the TURN credential is for."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credentials(user_id)
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential})
    return servers


def media_files_for_queue(queue_id: int | None) -> dict[str, str]:
    """The names of the queue's ringback and hold files in storage (empty: the built-in tone)."""
    media = QueueCallMedia.objects.filter(queue_id=queue_id).first() if queue_id else None
    return {
        "ringback": media.ringback.name if media and media.ringback else "",
        "hold": media.hold.name if media and media.hold else "",
    }


def calls_of_interaction(interaction_id: int, user: User) -> list[dict[str, Any]]:
    """The interaction's calls with their events and durations; recordings for supervisors only."""
    out = []
    for call in Call.objects.filter(interaction_id=interaction_id).prefetch_related("events"):
        recording = Recording.objects.filter(call_id=call.call_id).first() if user.is_manager else None
        out.append(
            {
                "call_id": call.call_id,
                "mode": call.mode,
                "state": call.state,
                "recorded": call.recorded,
                "wait_seconds": call.wait_seconds,
                "talk_seconds": call.talk_seconds,
                "hold_seconds": round(call.hold_seconds, 1),
                "ended_by": call.ended_by,
                "end_reason": call.end_reason,
                "events": [
                    {"kind": e.kind, "party": e.party, "at": e.at.isoformat(), "data": e.data}
                    for e in call.events.all()
                ],
                "recording": (
                    {
                        "id": recording.pk,
                        "url": f"/calls/recordings/{recording.pk}",
                        "duration": recording.duration,
                        "size": recording.size,
                        "complete": recording.complete,
                    }
                    if recording
                    else None
                ),
            }
        )
    return out


def identity_digest(check: IdentityCheck, steps: list[IdentityStep]) -> str:
    """SHA-256 over the check's verdict and every step, in order (a photo by its own SHA-256)."""
    record = {
        "check": check.pk,
        "interaction": check.interaction_id,
        "call": check.call_id,
        "started_by": check.started_by_id,
        "started_at": check.started_at.isoformat(),
        "status": check.status,
        "decided_by": check.decided_by_id,
        "decided_at": check.decided_at.isoformat() if check.decided_at else None,
        "note": check.note,
        "steps": [
            {"id": s.pk, "kind": s.kind, "at": s.at.isoformat(), "sha256": s.sha256, "text": s.text} for s in steps
        ],
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def identity_intact(check: IdentityCheck, steps: list[IdentityStep]) -> bool:
    """The decided check is as it was sealed: every photo still hashes to its step's SHA-256 and the
    rows to the digest."""
    if not check.digest:
        return False
    for step in steps:
        if step.file:
            try:
                with step.file.open("rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() != step.sha256:
                        return False
            except OSError:
                return False
    return hmac.compare_digest(identity_digest(check, steps), check.digest)


def identity_check_payload(check: IdentityCheck) -> dict[str, Any]:
    from django.urls import reverse

    steps = list(check.steps.all())
    return {
        "id": check.pk,
        "call_id": check.call.call_id,
        "interaction": check.interaction_id,
        "status": check.status,
        "started_by": check.started_by.full_name if check.started_by else None,
        "started_at": check.started_at.isoformat(),
        "decided_by": check.decided_by.full_name if check.decided_by else None,
        "decided_at": check.decided_at.isoformat() if check.decided_at else None,
        "note": check.note,
        "digest": check.digest,
        "intact": identity_intact(check, steps) if check.digest else None,
        "steps": [
            {
                "id": s.pk,
                "kind": s.kind,
                "label": str(IdentityStep.Kind(s.kind).label),
                "at": s.at.isoformat(),
                "sha256": s.sha256,
                "text": s.text,
                "photo": reverse("api-identity-photo", args=[check.pk, s.pk]) if s.file else None,
            }
            for s in steps
        ],
    }


def identity_checks_of_contacts(contact_ids: list[int]) -> list[dict[str, Any]]:
    """The identity checks of these contacts' interactions, newest first (for supervisors)."""
    checks = IdentityCheck.objects.filter(interaction__contact_id__in=contact_ids).select_related(
        "call", "started_by", "decided_by"
    )
    return [identity_check_payload(c) for c in checks.order_by("-started_at")[:50]]
