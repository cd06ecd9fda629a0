from __future__ import annotations

from django.db import models


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
