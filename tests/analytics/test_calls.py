"""Analytics of calls (issue 15) on real recordings: two in-process aiortc peers speak on a known schedule
(speech from the committed espeak fixtures) to the real media worker, which records them; the recording's
arrival queues the analysis on the real analytics worker, which finds each party's talk, the overtalk
and the silence within tolerances, and the phrases spotted by PocketSphinx. Also: the same on a file
written directly, keyword spotting on the fixtures, and the "none" speech engine."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from django.db import connection
from django.test import override_settings

from apps.accounts.models import User
from apps.analytics import audio
from apps.analytics.actions import do_save_topic, do_store_analysis, do_watch_phrases
from apps.analytics.analysis import analyse
from apps.analytics.models import InteractionAnalysis
from apps.analytics.selectors import call_timeline
from apps.analytics.speech import PocketSphinxEngine
from apps.inbox.models import Interaction
from apps.media.models import Call, Recording
from apps.media.protocol import request_call
from apps.routing.models import Queue
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo
from tests.media.peers import call, frames_from, wait_for_stats
from tests.processes import ARTIFACTS, wait_until
from tests.ws import run_async

from .synth import ScheduledSpeechTrack, speech, write_recording

# When each party speaks, seconds from the moment both are connected: the customer, then the agent
# talks over them for a second, both fall silent for two seconds, the customer speaks again.
CUSTOMER = [(1.0, 4.0), (9.0, 11.0)]
AGENT = [(3.0, 7.0)]
LENGTH = 12.0
TOLERANCE = 0.45  # VAD frames (30 ms), the hangover, the fixtures' own pauses and each party's network lag


def _spans(found: dict[str, Any], party: str) -> list[list[float]]:
    return next(p["segments"] for p in found["parties"] if p["party"] == party)


def _talk(found: dict[str, Any], party: str) -> float:
    return next(p["talk_seconds"] for p in found["parties"] if p["party"] == party)


def _check_pattern(found: dict[str, Any], shift: float) -> None:
    """The figures a person would read off the schedule, `shift` being where its 0 lies in the recording."""
    assert abs(_talk(found, "customer") - 5.0) <= 2 * TOLERANCE, found
    assert abs(_talk(found, "agent") - 4.0) <= 2 * TOLERANCE, found
    assert abs(found["talk_listen_ratio"] - 0.8) <= 0.2, found
    assert found["overtalk_count"] == 1 and abs(found["overtalk_seconds"] - 1.0) <= 2 * TOLERANCE, found
    start, end = found["overtalk"][0]
    assert abs(start - (shift + 3.0)) <= TOLERANCE and abs(end - (shift + 4.0)) <= TOLERANCE, found
    assert abs(found["silence_seconds"] - 2.0) <= 2 * TOLERANCE, found
    assert abs(found["longest_silence_seconds"] - 2.0) <= 2 * TOLERANCE, found
    customer = _spans(found, "customer")
    assert len(customer) == 2 and abs(customer[1][0] - (shift + 9.0)) <= TOLERANCE, customer
    agent = _spans(found, "agent")
    assert len(agent) == 1 and abs(agent[0][0] - (shift + 3.0)) <= TOLERANCE, agent


def test_talk_silence_and_overtalk_of_a_written_recording(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "call.webm", {"customer": CUSTOMER, "agent": AGENT}, LENGTH)
    decoded = audio.decode(path)
    assert [p.party for p in decoded.parties] == ["customer", "agent"]
    assert abs(decoded.duration - LENGTH) < 0.1
    segments = {p.party: audio.segments_of(audio.speech_flags(p.pcm)) for p in decoded.parties}
    _check_pattern(audio.talk_pattern(decoded.duration, segments), shift=0.0)


def test_keyword_spotting_on_the_fixtures() -> None:
    engine = PocketSphinxEngine()
    wanted = ["hello", "welcome", "order", "good morning", "您好"]
    assert engine.listenable(wanted) == ["hello", "welcome", "order", "good morning"]  # no Chinese model
    # (espeak's "welcome" is heard after the Opus round trip of a call, below, not in the raw fixture.)
    heard = {}
    for party in ("agent", "customer"):
        pcm = speech(party, rate=16000)
        words = engine.recognise(pcm, [(0.0, len(pcm) / 16000)], wanted)
        heard[party] = {w.text: w.start for w in words}
    # "Hello, welcome to Acme support..." / "I want a refund for my order..."
    assert heard["agent"]["hello"] < 0.5
    assert "order" in heard["customer"] and "hello" not in heard["customer"]
    assert "good morning" not in heard["agent"] | heard["customer"]


async def _peer(schema: str, call_id: str, party: str, track: ScheduledSpeechTrack) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    reply = await request_call(
        schema, call_id, {"type": "media.peer.offer", "party": party, "sdp": pc.localDescription.sdp}
    )
    assert reply["type"] == "media.peer.answer", reply
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc


def test_a_real_recorded_call_is_analysed_by_the_worker_when_its_recording_arrives(
    media_worker: Any, analytics_worker: CeleryWorker, tenant_a: TenantInfo
) -> None:
    schema, call_id = tenant_a.schema_name, f"c-{uuid.uuid4().hex[:12]}"
    connection.set_schema(schema)
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    do_save_topic(sue, name="Orders", phrases=["order", "订单"])
    do_watch_phrases(["hello", "welcome"])  # as a QA form's automatic question would
    # The call was resolved before its recording arrived: the recording alone brings the analysis.
    interaction = Interaction.objects.create(
        channel="voice", queue=Queue.objects.get(name="Support"), status="resolved"
    )
    Call.objects.create(call_id=call_id, interaction=interaction, recorded=True, state=Call.State.ENDED)
    connection.set_schema_to_public()

    async def scenario() -> float:
        started = await call(schema, call_id, "media.call.start", recording=True, video=False)
        assert started["type"] == "media.call.started", started
        call_started = time.monotonic()
        clock = {"t0": float("inf")}
        tracks = {
            party: ScheduledSpeechTrack(party, spans, clock, LENGTH)
            for party, spans in (("customer", CUSTOMER), ("agent", AGENT))
        }
        peers = [await _peer(schema, call_id, party, track) for party, track in tracks.items()]
        try:
            await wait_for_stats(
                schema, call_id, lambda s: frames_from(s, "customer") >= 10 and frames_from(s, "agent") >= 10,
                "both parties' audio at the worker",
            )  # fmt: skip
            assert (await call(schema, call_id, "media.call.answer"))["state"] == "answered"
            clock["t0"] = time.monotonic()
            # Until the schedule is over, as both parties' audio reached the worker (sent in real time).
            await wait_for_stats(
                schema, call_id,
                lambda s: time.monotonic() - clock["t0"] > LENGTH and frames_from(s, "agent") >= 50 * LENGTH,
                "the whole schedule at the worker", timeout=60,
            )  # fmt: skip
            ended = await call(schema, call_id, "media.call.end", ended_by="agent")
            assert ended["type"] == "media.call.ended", ended
        finally:
            for pc in peers:
                await pc.close()
        return clock["t0"] - call_started

    shift_hint = run_async(scenario())
    connection.set_schema(schema)
    wait_until(lambda: Recording.objects.filter(call_id=call_id).exists(), 30, "the recording to be stored")
    wait_until(
        lambda: InteractionAnalysis.objects.filter(interaction=interaction, call__isnull=False).exists(),
        120,
        "the analytics worker to analyse the call",
    )
    analysis = InteractionAnalysis.objects.get(interaction=interaction)
    found = call_timeline(interaction.pk)
    assert found is not None and found["parties"][0]["party"] == "customer"
    # Where the schedule's 0 lies in the recording: the customer's first speech starts 1 s after it.
    shift = _spans(found, "customer")[0][0] - 1.0
    (ARTIFACTS / "analytics-call.json").write_text(json.dumps({"shift": shift, "hint": shift_hint, **found}, indent=1))
    assert shift >= 0 and abs(shift - shift_hint) <= 1.0, (shift, shift_hint, found)
    _check_pattern(found, shift)
    # Phrases spotted in each party's own track, at their time in the recording.
    agent_heard = {s["phrase"]: s["start"] for s in found["spotted"] if s["party"] == "agent"}
    customer_heard = {s["phrase"] for s in found["spotted"] if s["party"] == "customer"}
    # The agent's greeting ("Hello, welcome to Acme support"): one of its words at least (the spotter's
    # confidence varies with the codec's bitrate), within the agent's turn.
    greeting = [at for phrase, at in agent_heard.items() if phrase in ("hello", "welcome")]
    assert greeting and all(shift + 3.0 - TOLERANCE <= at <= shift + 7.0 for at in greeting), found["spotted"]
    assert "order" in customer_heard and "hello" not in customer_heard, found["spotted"]
    assert [(t["name"], t["party"]) for t in analysis.topics] == [("Orders", "customer")]
    assert analysis.speech_engine == "pocketsphinx" and analysis.recording_id is not None
    # Its cost: CPU seconds per second of call, well under real time.
    assert analysis.cost["audio_seconds"] >= LENGTH and 0 < analysis.cost["ratio"] < 0.5, analysis.cost


@override_settings(ANALYTICS_SPEECH_ENGINE="none")
def test_the_none_speech_engine_still_measures_the_talk(tenant_a: TenantInfo, tmp_path: Path) -> None:
    from django.core.files import File
    from django.core.files.storage import default_storage

    connection.set_schema(tenant_a.schema_name)
    do_watch_phrases(["hello"])
    interaction = Interaction.objects.create(channel="voice", status="resolved")
    call_id = f"c-{uuid.uuid4().hex[:12]}"
    Call.objects.create(call_id=call_id, interaction=interaction, recorded=True)
    path = write_recording(tmp_path / "call.webm", {"customer": CUSTOMER, "agent": AGENT}, LENGTH)
    with path.open("rb") as handle:
        name = default_storage.save(f"{tenant_a.schema_name}/recordings/{call_id}.webm", File(handle))
    Recording.objects.create(call_id=call_id, file=name, duration=LENGTH, size=path.stat().st_size)
    analysis = do_store_analysis(interaction, analyse(interaction))
    assert analysis.speech_engine == "none" and analysis.spotted == []
    assert analysis.call is not None and analysis.call["listened_for"] == []
    _check_pattern(analysis.call, shift=0.0)
