"""Recorded identity checks (issue 18, seed 003) through the API: only the agent in the video call runs
one; photos must be pictures; "verified" needs every step; each step is a call event (a mark on the
recording) and an audit row; the verdict is sealed with a digest that a changed photo or row no longer
matches; supervisors read it, the agent only while it is in progress, other agents never."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry, User
from apps.media.models import Call, CallEvent, IdentityCheck, IdentityStep
from apps.media.selectors import identity_intact
from apps.quality.views import identity_marks
from tests.conftest import PASSWORD
from tests.inbox.conftest import make_center
from tests.media.test_call_apis import SHOP, answered_call, jpeg, login


def photo(kind: str, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    return {"kind": kind, "file": SimpleUploadedFile(f"{kind}.jpg", data, content_type=content_type)}


def test_an_identity_check_from_start_to_seal() -> None:
    cc = make_center(SHOP)
    call = answered_call(cc)
    alex = login(cc, f"agent1@{cc.info.subdomain}.test")
    bea = login(cc, f"agent2@{cc.info.subdomain}.test")
    connection.set_schema(cc.info.schema_name)
    User.objects.create_user(email=f"sue@{cc.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    sue = login(cc, f"sue@{cc.info.subdomain}.test")

    # Someone not in the call cannot start one; the agent in it can (asking twice: the same one).
    assert bea.post(f"/api/v1/calls/{call.call_id}/identity-checks").status_code == 403
    started = alex.post(f"/api/v1/calls/{call.call_id}/identity-checks")
    assert started.status_code == 201, started.content
    check = started.json()
    assert check["status"] == "in_progress" and "identity document" in check["consent"]
    assert alex.post(f"/api/v1/calls/{call.call_id}/identity-checks").json()["id"] == check["id"]
    steps = f"/api/v1/identity-checks/{check['id']}/steps"

    # Pictures only; a step nobody knows; verifying before every step is taken: each says why.
    text = alex.post(steps, photo("document", b"not a picture", "text/plain"))
    assert text.status_code == 400 and "JPEG or PNG" in text.json()["error"]["message"]
    assert alex.post(steps, {"kind": "selfie"}).status_code == 400
    assert bea.post(steps, photo("document", jpeg())).status_code == 403
    document, face = jpeg(), jpeg() + b"\x00"
    assert alex.post(steps, photo("document", document)).status_code == 201
    early = alex.post(f"/api/v1/identity-checks/{check['id']}/decide", {"result": "verified"}, "application/json")
    assert early.status_code == 400 and "Face" in early.json()["error"]["message"]
    assert alex.post(steps, photo("face", face)).status_code == 201
    consented = alex.post(steps, {"kind": "consent"})
    assert consented.status_code == 201
    assert [s["kind"] for s in consented.json()["steps"]] == ["document", "face", "consent"]

    # While it runs the agent sees it; another agent never does.
    assert alex.get(f"/api/v1/identity-checks/{check['id']}").status_code == 200
    assert bea.get(f"/api/v1/identity-checks/{check['id']}").status_code == 403

    decided = alex.post(
        f"/api/v1/identity-checks/{check['id']}/decide",
        {"result": "verified", "note": "Passport matches."},
        "application/json",
    )
    assert decided.status_code == 200, decided.content
    sealed = decided.json()
    assert sealed["status"] == "verified" and len(sealed["digest"]) == 64 and sealed["intact"] is True
    assert sealed["decided_by"] == "Alex Agent" and sealed["note"] == "Passport matches."
    again = alex.post(f"/api/v1/identity-checks/{check['id']}/decide", {"result": "failed"}, "application/json")
    assert again.status_code == 400  # decided once

    # Decided: supervisors read it and its photos; the agent no longer does.
    assert alex.get(f"/api/v1/identity-checks/{check['id']}").status_code == 403
    read = sue.get(f"/api/v1/identity-checks/{check['id']}").json()
    assert read["intact"] is True
    shown = sue.get(read["steps"][0]["photo"])
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == document
    assert alex.get(read["steps"][0]["photo"]).status_code == 403
    listed = sue.get(f"/api/v1/interactions/{call.interaction_id}/identity-checks").json()["results"]
    assert [c["id"] for c in listed] == [check["id"]]
    assert alex.get(f"/api/v1/interactions/{call.interaction_id}/identity-checks").status_code == 403

    connection.set_schema(cc.info.schema_name)
    events = list(CallEvent.objects.filter(call__call_id=call.call_id, kind="identity").values_list("data", flat=True))
    assert [e["step"] for e in events] == ["started", "document", "face", "consent", "verified"]
    # The steps are marks on the recording's timeline in the quality player.
    marks = identity_marks(call.call_id, 600.0)
    assert [m["text"] for m in marks] == [
        "Identity check: Identity document",
        "Identity check: Face",
        "Identity check: Consent",
        "Identity check: verified",
    ]
    assert all(0 <= m["at"] < 60 for m in marks)
    assert AuditEntry.objects.filter(verb="call.identity_checked").count() == 1
    stored = IdentityStep.objects.get(identity_check_id=check["id"], kind="face")
    assert stored.sha256 == hashlib.sha256(face).hexdigest()

    # Tampering: a photo replaced in storage, or a row changed, no longer matches the seal.
    sealed_check = IdentityCheck.objects.get(pk=check["id"])
    assert identity_intact(sealed_check, list(sealed_check.steps.all()))
    stored.file.storage.delete(stored.file.name)
    stored.file.storage.save(stored.file.name, ContentFile(jpeg()))
    assert not identity_intact(sealed_check, list(sealed_check.steps.all()))
    IdentityCheck.objects.filter(pk=check["id"]).update(note="Edited afterwards.")
    connection.set_schema_to_public()
    assert sue.get(f"/api/v1/identity-checks/{check['id']}").json()["intact"] is False


def test_an_audio_call_has_no_identity_check_and_anonymous_callers_none_at_all() -> None:
    cc = make_center(SHOP)
    call = answered_call(cc)
    connection.set_schema(cc.info.schema_name)
    Call.objects.filter(pk=call.pk).update(mode="audio")
    connection.set_schema_to_public()
    alex = login(cc, f"agent1@{cc.info.subdomain}.test")
    audio = alex.post(f"/api/v1/calls/{call.call_id}/identity-checks")
    assert audio.status_code == 400 and "video" in audio.json()["error"]["message"]
    anonymous = Client(HTTP_HOST=cc.info.host).post(f"/api/v1/calls/{call.call_id}/identity-checks")
    assert anonymous.status_code in (401, 403)
