from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Recording(models.Model):
    """A call's recording: one WebM with a track per party (and kind), stored through the default
    storage under `<schema>/recordings/`. Calls are identified by the string id the signaling layer
    gave the media worker; the interaction links to it by that id."""

    call_id = models.CharField(max_length=64, unique=True)
    file = models.FileField(max_length=255)
    duration = models.FloatField(help_text="Seconds.")
    size = models.BigIntegerField(help_text="Bytes.")
    streams = models.JSONField(default=list)
    # False when the worker died during the call and the file was recovered from what it had written.
    complete = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Recording of call {self.call_id}"


class Call(models.Model):
    """A voice or video call: the media side of an interaction in the `voice` or `video` channel.

    Parties talk peer to peer (a mesh when a third joins); the customer's and the main agent's
    browsers also send a copy of what they send to the media worker, which records it and plays
    ringback and hold (docs/architecture.md, Media)."""

    class Mode(models.TextChoices):
        AUDIO = "audio", _("Audio only")
        VIDEO = "video", _("Two-way video")
        ONE_WAY = "oneway", _("One-way video (customer sees the agent)")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for an agent")
        ACTIVE = "active", _("Talking")
        HELD = "held", _("On hold")
        ENDED = "ended", _("Ended")

    call_id = models.CharField(max_length=64, unique=True)
    interaction = models.OneToOneField("inbox.Interaction", on_delete=models.CASCADE, related_name="call")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.AUDIO)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    recorded = models.BooleanField(default=False)
    # The chat this call was started from ("upgrade"), if any.
    from_interaction = models.ForeignKey(
        "inbox.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="upgraded_to_calls"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    held_since = models.DateTimeField(null=True, blank=True)
    hold_seconds = models.FloatField(default=0)
    # "customer", "agent:<user id>" or "system"; with the reason when the system ended it.
    ended_by = models.CharField(max_length=40, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"Call {self.call_id}"

    @property
    def wait_seconds(self) -> float | None:
        end = self.answered_at or self.ended_at
        return (end - self.created_at).total_seconds() if end else None

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.answered_at).total_seconds() - self.hold_seconds)


class CallParty(models.Model):
    """Someone in a call. `party` is the name used in signaling: "customer" or "agent:<user id>"."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        GUEST = "guest", _("Supervisor or expert")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="parties")
    party = models.CharField(max_length=40)
    role = models.CharField(max_length=12, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    invited_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)
    sharing = models.BooleanField(default=False)  # sharing their screen

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["call", "party"], condition=models.Q(left_at__isnull=True), name="call_party_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} in {self.call_id}"


class CallEvent(models.Model):
    """What happened in a call, in order; written to the interaction for the timeline and reports."""

    class Kind(models.TextChoices):
        OFFERED = "offered", _("Offered")
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        HELD = "held", _("Held")
        RESUMED = "resumed", _("Resumed")
        MUTED = "muted", _("Muted")
        UNMUTED = "unmuted", _("Unmuted")
        MODE = "mode", _("Mode changed")
        SCREEN_SHARE = "screen_share", _("Screen share")
        SNAPSHOT = "snapshot", _("Snapshot")
        IDENTITY = "identity", _("Identity check")
        INVITED = "invited", _("Invited")
        JOINED = "joined", _("Joined")
        LEFT = "left", _("Left")
        TRANSFERRED = "transferred", _("Transferred")
        MEDIA_LOST = "media_lost", _("Media lost")
        ENDED = "ended", _("Ended")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="call_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    party = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} in {self.call_id}"


def queue_media_path(instance: QueueCallMedia, filename: str) -> str:
    from django.db import connection

    schema = getattr(connection, "schema_name", "public")
    return f"{schema}/call-media/{instance.queue_id}-{uuid.uuid4().hex[:8]}-{filename[-80:]}"


class QueueCallMedia(models.Model):
    """What a queue's callers hear (and see, on video calls) while waiting and on hold. Empty: a
    built-in tone. Any audio or video file ffmpeg reads; the worker prepares it once."""

    queue = models.OneToOneField("routing.Queue", on_delete=models.CASCADE, related_name="call_media")
    ringback = models.FileField(_("waiting music or video"), upload_to=queue_media_path, max_length=255, blank=True)
    hold = models.FileField(_("hold music or video"), upload_to=queue_media_path, max_length=255, blank=True)

    class Meta:
        verbose_name = _("call media of a queue")
        verbose_name_plural = _("call media of queues")

    def __str__(self) -> str:
        return f"Call media of {self.queue}"


def identity_path(instance: IdentityStep, filename: str) -> str:
    from django.db import connection

    schema = getattr(connection, "schema_name", "public")
    return f"{schema}/identity/{instance.identity_check_id}/{uuid.uuid4().hex}"


class IdentityCheck(models.Model):
    """A recorded identity check during a video call (insurance, banking): the customer's document and
    face photographed from the call, their consent given aloud, and the agent's verdict. Steps are
    marked in the call's events (so on the recording's timeline); `digest` is a SHA-256 over every step
    (each photo's own SHA-256) and the verdict, made when it is decided: any later change to a row or a
    photo no longer matches it. Read by supervisors (the agent while it is in progress)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        VERIFIED = "verified", _("Verified")
        FAILED = "failed", _("Failed")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="identity_checks")
    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(status="in_progress"), name="identity_check_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Identity check {self.pk} of call {self.call_id}"


class IdentityStep(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Identity document")
        FACE = "face", _("Face")
        CONSENT = "consent", _("Consent")

    identity_check = models.ForeignKey(IdentityCheck, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to=identity_path, blank=True)  # the photo (document, face)
    content_type = models.CharField(max_length=40, blank=True)
    sha256 = models.CharField(max_length=64)  # of the photo's bytes, or of the consent statement
    text = models.TextField(blank=True)  # the consent statement the customer agreed to

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} of identity check {self.identity_check_id}"
