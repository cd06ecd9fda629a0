"""What the words say: sentiment, keywords and topic phrases of chat and email messages, in English
and Chinese, with libraries that ship their lexicon or model inside the package (nothing is downloaded
at run time).

- Language, per message: Chinese when CJK ideographs are at least `CJK_SHARE` of its letters (Latin
  letters and ideographs), English otherwise.
- Sentiment score in [-1, 1]: English, VADER's compound score (vaderSentiment's bundled lexicon);
  Chinese, SnowNLP's probability of positive p (its bundled model) as 2p - 1.
- Label: positive when score >= the language's threshold, negative when <= minus it, neutral between.
  English: 0.05, VADER's own documented threshold. Chinese: 0.2 (p outside 0.4..0.6), as SnowNLP
  rarely returns p near 0.5 for short texts. Aggregates (a party's or the ending's) use 0.05.
- Keywords: the customer's words. English: lower-cased words of 3+ letters that are not stop words
  (`STOP_WORDS`); Chinese: SnowNLP's TextRank keywords (its own segmentation and stop words), 2+
  characters.
- Topic phrases: a Latin phrase matches as whole words, any case, allowing a suffix on the last word
  ("refund" matches "refunds", "refunded"); a CJK phrase matches as a substring.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CJK_SHARE = 0.3
THRESHOLDS = {"en": 0.05, "zh": 0.2}
AGGREGATE_THRESHOLD = 0.05
KEYWORDS_PER_INTERACTION = 12

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[a-z][a-z'\-]+")

# English stop words (function words and chat filler) left out of keywords.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each few for from further get got had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
    just let's like me more most mustn't my myself no nor not now of off on once only or other ought our ours
    ourselves out over own please same shan't she she'd she'll she's should shouldn't so some such than thank
    thanks that that's the their theirs them themselves then there there's these they they'd they'll they're
    they've this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's will with won't would wouldn't yes
    you you'd you'll you're you've your yours yourself yourselves hi hello hey ok okay sure yeah yep one two
    still really much many well want need know see make way may might must shall even back going today""".split()
)


def language_of(text: str) -> str | None:
    """'zh', 'en', or None when the text has no letters."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if not cjk and not latin:
        return None
    return "zh" if cjk / (cjk + latin) >= CJK_SHARE else "en"


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label_of(score: float | None, threshold: float = AGGREGATE_THRESHOLD) -> str:
    if score is None:
        return ""
    if score >= threshold:
        return "positive"
    if score <= -threshold:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class Sentiment:
    lang: str
    score: float
    label: str


def sentiment(text: str) -> Sentiment | None:
    """The sentiment of one message (None: nothing to judge, e.g. only an emoji-free number)."""
    text = text.strip()[:5000]
    lang = language_of(text)
    if lang is None:
        return None
    if lang == "en":
        score = float(_vader().polarity_scores(text)["compound"])
    else:
        from snownlp import SnowNLP

        score = 2 * float(SnowNLP(text).sentiments) - 1
    score = max(-1.0, min(1.0, round(score, 4)))
    return Sentiment(lang, score, label_of(score, THRESHOLDS[lang]))


def mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return round(sum(found) / len(found), 4) if found else None


def keywords(texts: Iterable[str]) -> list[tuple[str, int]]:
    """The most frequent keywords of these texts (a customer's messages), most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        text = text[:5000]
        if language_of(text) == "zh":
            counts.update(_chinese_keywords(text))
        else:
            counts.update(w.strip("'-") for w in _WORD.findall(text.lower()) if _keep(w.strip("'-")))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:KEYWORDS_PER_INTERACTION]


def _keep(word: str) -> bool:
    return len(word) >= 3 and word not in STOP_WORDS


def _chinese_keywords(text: str) -> list[str]:
    from snownlp import SnowNLP

    try:
        found = SnowNLP(text).keywords(5)
    except (ValueError, ZeroDivisionError):  # TextRank on a text of one word
        return []
    return [w for w in found if len(w) >= 2 and _CJK.search(w)]


@lru_cache(maxsize=512)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    phrase = " ".join(phrase.split())
    if _CJK.search(phrase):
        return re.compile(re.escape(phrase))
    words = [re.escape(w) for w in phrase.split(" ")]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"\w*", re.IGNORECASE)


def find_phrase(phrases: Iterable[str], text: str) -> str | None:
    """The first of `phrases` that `text` contains (see the module's rules), or None."""
    for phrase in phrases:
        if phrase.strip() and phrase_pattern(phrase).search(text):
            return phrase
    return None
