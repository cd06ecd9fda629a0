"""One party's audio of a recording, as its own small WebM, so a player can play, mute and follow each
party (a browser plays only the first audio track of a file). The Opus packets are copied, never
decoded; the copy is kept beside the recording (`<call_id>.track<index>.webm`) and served with byte
ranges, so the player can seek anywhere."""

from __future__ import annotations

import io
import re
from typing import Any

import av
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from .models import Recording

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def audio_tracks(recording: Recording) -> list[dict[str, Any]]:
    """The recording's audio streams, each with its party ("customer", "agent", ...)."""
    return [
        {"index": s["index"], "party": s.get("party") or f"track {s['index']}", "codec": s.get("codec", "")}
        for s in recording.streams
        if s.get("type") == "audio"
    ]


def _extract(recording: Recording, index: int) -> bytes:
    out = io.BytesIO()
    with recording.file.open("rb") as src, av.open(src) as inp:
        stream = next(s for s in inp.streams if s.index == index)
        with av.open(out, "w", format="webm") as dst:
            copy = dst.add_stream_from_template(stream)
            copy.metadata["title"] = stream.metadata.get("title", "")
            for packet in inp.demux(stream):
                if packet.dts is None or not packet.size:
                    continue
                packet.stream = copy
                dst.mux(packet)
    return out.getvalue()


def track_bytes(recording: Recording, index: int) -> bytes | None:
    """The party's track as WebM (made once, then read from storage); None: no such audio track."""
    if index not in {t["index"] for t in audio_tracks(recording)}:
        return None
    base = recording.file.name.rsplit(".", 1)[0]
    name = f"{base}.track{index}.webm"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as kept:
            return bytes(kept.read())
    data = _extract(recording, index)
    default_storage.save(name, ContentFile(data))
    return data


def ranged(request: HttpRequest, data: bytes, content_type: str) -> HttpResponse:
    """`data` whole, or the one byte range the request asks for (206), or 416 for a range past its end."""
    total = len(data)
    found = RANGE.match(request.headers.get("Range", "").strip())
    if not found or found.groups() == ("", ""):
        response = HttpResponse(data, content_type=content_type)
    else:
        first, last = found.groups()
        if first == "":  # the last N bytes
            start, end = max(0, total - int(last)), total - 1
        else:
            start, end = int(first), min(int(last), total - 1) if last else total - 1
        if start >= total or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{total}"
            return response
        response = HttpResponse(data[start : end + 1], content_type=content_type, status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{total}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
