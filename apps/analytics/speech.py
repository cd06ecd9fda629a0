"""Speech-to-text behind one interface, so a better engine can take over where one is installed.

`settings.ANALYTICS_SPEECH_ENGINE` names the engine's class by dotted path (default: PocketSphinx's
English keyword spotting, whose en-us model ships inside the `pocketsphinx` package; "none" or
`NoSpeechEngine`: no speech-to-text). An engine gets one party's audio (16 kHz mono s16), that party's
speech segments (from the voice activity detection) and the phrases wanted (the tenant's topic phrases
and those quality's automatic answers watch for), and returns words with their times: a keyword
spotter returns the phrases it heard; a full recogniser may return its whole transcript, and phrases
are then matched in it the same way as in a chat (`apps.analytics.text.find_phrase`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string

RATE = 16000


@dataclass(frozen=True)
class Word:
    """A phrase spotted (or a word recognised), with its times in seconds on the call's timeline."""

    text: str
    start: float
    end: float


class SpeechEngine(Protocol):
    name: str
    # True: `recognise` returns a transcript (every word); False: only the phrases asked for.
    transcribes: bool

    def recognise(self, pcm: np.ndarray, segments: Sequence[tuple[float, float]], phrases: Sequence[str]) -> list[Word]:
        """Words heard in `pcm` (int16, 16 kHz) within `segments` (seconds)."""
        ...

    def listenable(self, phrases: Sequence[str]) -> list[str]:
        """Those of `phrases` this engine can hear (a "no" for the others would mean nothing)."""
        ...


class NoSpeechEngine:
    name = "none"
    transcribes = False

    def recognise(self, pcm: np.ndarray, segments: Sequence[tuple[float, float]], phrases: Sequence[str]) -> list[Word]:
        return []

    def listenable(self, phrases: Sequence[str]) -> list[str]:
        return []


# How sure the spotter must be: a phrase's threshold is 10^-(EXPONENT_PER_PHONE x its phones), so longer
# phrases (more chances to match by accident in a long call... and more evidence) are held to a scale
# that grows with them (CMU Sphinx's advice: tune per phrase length).
EXPONENT_PER_PHONE = 3.0
PAD_SECONDS = 0.25


class PocketSphinxEngine:
    """English keyword spotting (PocketSphinx's `kws` search) over the speech segments only."""

    name = "pocketsphinx"
    transcribes = False

    def recognise(self, pcm: np.ndarray, segments: Sequence[tuple[float, float]], phrases: Sequence[str]) -> list[Word]:
        decoder = _decoder()
        wanted = self._spottable(decoder, phrases)
        if not wanted or not segments:
            return []
        with tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False) as handle:
            for phrase, threshold in wanted.items():
                handle.write(f"{phrase} /{threshold:.0e}/\n")
            path = handle.name
        try:
            search = f"kws{abs(hash(tuple(sorted(wanted))))}"
            decoder.add_kws(search, path)
            decoder.activate_search(search)
            words: list[Word] = []
            for start, end in _padded(segments, len(pcm) / RATE):
                chunk = pcm[int(start * RATE) : int(end * RATE)]
                decoder.start_utt()
                decoder.process_raw(chunk.tobytes(), no_search=False, full_utt=True)
                decoder.end_utt()
                if decoder.hyp() is None:
                    continue
                for seg in decoder.seg():
                    text = seg.word.strip()
                    if text in wanted:
                        words.append(
                            Word(text, round(start + seg.start_frame / 100, 2), round(start + seg.end_frame / 100, 2))
                        )
            return _dedupe(words)
        finally:
            os.unlink(path)

    def listenable(self, phrases: Sequence[str]) -> list[str]:
        spottable = self._spottable(_decoder(), phrases)
        return [p for p in phrases if _normal(p) in spottable]

    @staticmethod
    def _spottable(decoder: Any, phrases: Sequence[str]) -> dict[str, float]:
        """The phrases whose every word the dictionary knows, with their thresholds (others, Chinese
        ones included, cannot be spotted by this engine)."""
        out: dict[str, float] = {}
        for raw in phrases:
            phrase = _normal(raw)
            if not phrase or phrase in out:
                continue
            phones = 0
            for word in phrase.split(" "):
                found = decoder.lookup_word(word)
                if not found:
                    phones = 0
                    break
                phones += len(found.split())
            if phones:
                out[phrase] = 10.0 ** -(EXPONENT_PER_PHONE * phones)
        return out


def _normal(phrase: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", phrase.lower()).split())


def _padded(segments: Sequence[tuple[float, float]], length: float) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in segments:
        a, b = max(0.0, a - PAD_SECONDS), min(length, b + PAD_SECONDS)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _dedupe(words: list[Word]) -> list[Word]:
    """The spotter may report one utterance of a phrase twice, overlapping: keep the first."""
    out: list[Word] = []
    for w in sorted(words, key=lambda w: (w.start, w.text)):
        if any(o.text == w.text and w.start < o.end for o in out[-4:]):
            continue
        out.append(w)
    return out


@lru_cache(maxsize=1)
def _decoder() -> Any:
    """PocketSphinx's decoder with its bundled en-us model (loaded once per process: ~0.3 s)."""
    from pocketsphinx import Decoder, get_model_path

    model = os.path.join(get_model_path(), "en-us")
    return Decoder(
        hmm=os.path.join(model, "en-us"),
        dict=os.path.join(model, "cmudict-en-us.dict"),
        samprate=RATE,
        loglevel="FATAL",
    )


def get_engine() -> SpeechEngine:
    path = getattr(settings, "ANALYTICS_SPEECH_ENGINE", "apps.analytics.speech.PocketSphinxEngine")
    if not path or path == "none":
        return NoSpeechEngine()
    engine: SpeechEngine = import_string(path)()
    return engine
