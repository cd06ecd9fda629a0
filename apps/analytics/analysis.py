"""One interaction's analysis, computed (not stored: `actions.do_store_analysis` does that).

Chats and emails: each customer and agent message's sentiment, the customer's and the agent's average,
how it ended (the customer's last two messages), the customer's keywords, the topics whose phrases were
written. Calls with a recording: who spoke when (`audio`), the phrases spotted in each party's speech
(`speech`), and the topics among them. Its cost (CPU and wall time, against the audio's length) goes
with it."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.storage import default_storage
from django.utils import timezone

from apps.core.hooks import tenant_time_zone
from apps.inbox.models import Interaction, Message
from apps.media.models import Call, Recording

from . import audio, text
from .models import Topic, WatchedPhrase
from .speech import SpeechEngine, get_engine

END_MESSAGES = 2


def analyse(interaction: Interaction) -> dict[str, Any]:
    wall, cpu = time.monotonic(), time.thread_time()
    topics = [(name, list(phrases)) for name, phrases in Topic.objects.values_list("name", "phrases")]
    result: dict[str, Any] = {
        "channel": interaction.channel,
        "queue_id": interaction.queue_id,
        "day": _day(interaction),
        "analysed_at": timezone.now(),
    }
    result.update(_messages(interaction, topics))
    audio_seconds = 0.0
    call = Call.objects.filter(interaction=interaction).order_by("-created_at").first()
    recording = Recording.objects.filter(call_id=call.call_id).first() if call is not None else None
    result.update({"call": None, "spotted": [], "speech_engine": "", "recording_id": None})
    if recording is not None:
        found, audio_seconds = _call(recording, topics)
        result.update(found)
        result["recording_id"] = recording.pk
        known = {t["name"] for t in result["topics"]}
        for hit in found["call_topics"]:
            if hit["name"] not in known:
                result["topics"].append(hit)
                known.add(hit["name"])
        del result["call_topics"]
    spent = time.thread_time() - cpu
    result["cost"] = {
        "wall_seconds": round(time.monotonic() - wall, 3),
        "cpu_seconds": round(spent, 3),
        "audio_seconds": round(audio_seconds, 3),  # the call's length (each party's track spans it)
        "ratio": round(spent / audio_seconds, 4) if audio_seconds else None,
    }
    return result


def _day(interaction: Interaction) -> Any:
    at = interaction.resolved_at or interaction.ended_at or interaction.created_at
    try:
        zone = ZoneInfo(tenant_time_zone())
    except Exception:
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).date()


def _messages(interaction: Interaction, topics: list[tuple[str, list[str]]]) -> dict[str, Any]:
    rows = list(
        Message.objects.filter(interaction=interaction, kind__in=[Message.Kind.CUSTOMER, Message.Kind.AGENT])
        .order_by("seq")
        .values_list("seq", "kind", "body", "created_at")
    )
    started = interaction.created_at
    messages: list[dict[str, Any]] = []
    customer: list[float] = []
    agent: list[float] = []
    languages: set[str] = set()
    matched: dict[str, dict[str, Any]] = {}
    for seq, kind, body, at in rows:
        at_seconds = round((at - started).total_seconds(), 1)
        found = text.sentiment(body or "")
        if found is not None:
            messages.append(
                {"seq": seq, "party": kind, "at_seconds": at_seconds, "lang": found.lang, "score": found.score,
                 "label": found.label}
            )  # fmt: skip
            (customer if kind == Message.Kind.CUSTOMER else agent).append(found.score)
            languages.add(found.lang)
        for name, phrases in topics:
            if name not in matched:
                phrase = text.find_phrase(phrases, body or "")
                if phrase is not None:
                    matched[name] = {
                        "name": name,
                        "phrase": phrase,
                        "party": kind,
                        "at_seconds": at_seconds,
                        "seq": seq,
                    }
    customer_score, agent_score = text.mean(customer), text.mean(agent)
    end_score = text.mean(customer[-END_MESSAGES:])
    customer_bodies = [body for _seq, kind, body, _at in rows if kind == Message.Kind.CUSTOMER and body]
    return {
        "messages": messages,
        "languages": sorted(languages),
        "customer_score": customer_score,
        "customer_label": text.label_of(customer_score),
        "agent_score": agent_score,
        "agent_label": text.label_of(agent_score),
        "end_score": end_score,
        "end_label": text.label_of(end_score),
        "keywords": [[term, count] for term, count in text.keywords(customer_bodies)],
        "topics": list(matched.values()),
    }


@contextmanager
def _local_file(recording: Recording) -> Iterator[Path]:
    """The recording as a local file (the default storage's own path, or a temporary copy)."""
    try:
        local: Path | None = Path(default_storage.path(recording.file.name))
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=".webm") as handle, recording.file.open("rb") as src:
        shutil.copyfileobj(src, handle)
        handle.flush()
        yield Path(handle.name)


def _call(recording: Recording, topics: list[tuple[str, list[str]]]) -> tuple[dict[str, Any], float]:
    phrases = sorted({p for _n, ps in topics for p in ps} | set(WatchedPhrase.objects.values_list("phrase", flat=True)))
    with _local_file(recording) as path:
        found, duration = analyse_recording(path, phrases, get_engine())
    call_topics: list[dict[str, Any]] = []
    for name, phrases_of_topic in topics:
        for s in found["spotted"]:
            if text.find_phrase(phrases_of_topic, s["phrase"]):
                call_topics.append(
                    {"name": name, "phrase": s["phrase"], "party": s["party"], "at_seconds": s["start"], "seq": None}
                )
                break
    return {**found, "call_topics": call_topics}, duration


def analyse_recording(path: Path, phrases: list[str], engine: SpeechEngine) -> tuple[dict[str, Any], float]:
    """A recording's talk pattern and the phrases `engine` hears in each party's speech; and its length."""
    decoded = audio.decode(path)
    segments = {p.party: audio.segments_of(audio.speech_flags(p.pcm)) for p in decoded.parties}
    pattern = audio.talk_pattern(decoded.duration, segments)
    for entry, party in zip(pattern["parties"], decoded.parties, strict=True):
        entry["first_audio"] = round(party.first_audio, 3) if party.first_audio is not None else None
    pattern["listened_for"] = engine.listenable(phrases)
    spotted: list[dict[str, Any]] = []
    for party in decoded.parties:
        words = engine.recognise(party.pcm, segments[party.party], phrases) if phrases else []
        if engine.transcribes:
            # A transcript: the wanted phrases are found in its text, as in a chat.
            for phrase in phrases:
                for w in words:
                    if text.find_phrase([phrase], w.text):
                        spotted.append({"party": party.party, "phrase": phrase, "start": w.start, "end": w.end})
        else:
            spotted += [{"party": party.party, "phrase": w.text, "start": w.start, "end": w.end} for w in words]
    spotted.sort(key=lambda s: (s["start"], s["party"]))
    return {"call": pattern, "spotted": spotted, "speech_engine": engine.name}, decoded.duration
