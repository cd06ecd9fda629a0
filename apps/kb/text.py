"""Text of the knowledge base: article HTML sanitised, its plain text, and the search terms of a text
in either language. PostgreSQL's parsers do not cut Chinese into words, so the words are made here:
jieba's words (search mode) plus every pair of adjacent Chinese characters, so a two-character word
such as 退款 matches 如何申请退款 whatever jieba made of it. Latin-script words go to PostgreSQL's
English configuration (stemmed). Titles also get their letter trigrams, which find a title through a
typo ("refnd" -> "refund")."""

from __future__ import annotations

import html
import re
import threading
from typing import Any

import nh3

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
_TAGS = re.compile(r"<[^>]+>")
_lock = threading.Lock()
_jieba: Any = None

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "img",
    "code",
    "pre",
    "blockquote",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


def clean_html(raw: str) -> str:
    """The article's HTML with only formatting, links and images kept (no scripts, styles or events);
    links open safely, images only from https or this site."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(body_html: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAGS.sub(" ", body_html))).strip()


def _cut(text: str) -> list[str]:
    global _jieba
    with _lock:
        if _jieba is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return [w for w in _jieba.cut_for_search(text) if w.strip()]


def jieba_words(text: str) -> list[str]:
    """jieba's words of the Chinese in `text`."""
    return [w for run in _CJK.findall(text) for w in _cut(run)]


def cjk_terms(text: str) -> list[str]:
    """Chinese words and character pairs of `text` (no Latin words)."""
    terms: list[str] = []
    for run in _CJK.findall(text):
        terms += _cut(run)
        terms += [run[i : i + 2] for i in range(len(run) - 1)]
        if len(run) == 1:
            terms.append(run)
    return list(dict.fromkeys(terms))


def latin_text(text: str) -> str:
    """`text` without its Chinese (PostgreSQL's English configuration reads the rest)."""
    return _CJK.sub(" ", text)


def trigrams(text: str) -> list[str]:
    """The letter trigrams of each Latin word, padded as pg_trgm pads them ("  r", " re", ...)."""
    grams: list[str] = []
    for word in _WORD.findall(text.lower()):
        padded = f"__{word}_"
        grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
    return list(dict.fromkeys(grams))


def snippet(text: str, terms: list[str], width: int = 160) -> str:
    """A stretch of `text` around the first term found (the start when none is)."""
    lower = text.lower()
    found = [i for i in (lower.find(t.lower()) for t in terms if t) if i >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    piece = text[start : start + width].strip()
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(text) else "")
