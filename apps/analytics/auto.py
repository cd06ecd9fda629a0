"""Automatic answers to evaluation questions, from what analytics knows of the interaction.

A question of an evaluation form may carry an `auto` rule (checked by `clean_rule`):

- `{"kind": "phrase", "party": "agent" | "customer", "phrases": ["hello", "welcome", "您好"],
  "within_seconds": 60}`: yes when that party said or wrote one of the phrases within the first
  `within_seconds` (optional: anywhere) of their part: in chats and emails the messages' text (from the
  agent's assignment for the agent, the interaction's start for the customer), in calls the phrases the
  speech engine spotted (from that party's first audio in the recording). Evidence: the message (seq,
  time, excerpt) or the spotted phrase and its time in the recording.
- `{"kind": "sentiment", "party": "customer" | "agent", "at_least": 0, "of": "overall" | "end"}`: yes when
  that party's sentiment score (overall, or at the end) is at least `at_least` (in [-1, 1]). Evidence:
  the score and label.

An answer that cannot be told (a call without a recording or speech engine, nobody wrote anything, a
phrase the engine could not listen for) is left to the evaluator, with the reason as evidence.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from apps.inbox.models import Interaction, Message

from . import text
from .models import InteractionAnalysis

PARTIES = ("agent", "customer")
MAX_RULE_PHRASES = 20


def clean_rule(value: Any, where: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The rule, checked: (clean rule, {} ) or (None, {field: [message]})."""
    if not isinstance(value, dict):
        return None, {where: [_("An automatic rule is an object with a kind: phrase or sentiment.")]}
    kind = value.get("kind")
    party = value.get("party", "agent" if kind == "phrase" else "customer")
    if party not in PARTIES:
        return None, {f"{where}.party": [_("agent or customer.")]}
    if kind == "phrase":
        phrases = value.get("phrases")
        if (
            not isinstance(phrases, list)
            or not 1 <= len(phrases) <= MAX_RULE_PHRASES
            or not all(isinstance(p, str) and 0 < len(p.strip()) <= 100 for p in phrases)
        ):
            return None, {
                f"{where}.phrases": [_("1 to %(n)d phrases of 1 to 100 characters.") % {"n": MAX_RULE_PHRASES}]
            }
        within = value.get("within_seconds")
        if within is not None and (
            not isinstance(within, int | float) or isinstance(within, bool) or not 0 < within <= 86400
        ):
            return None, {f"{where}.within_seconds": [_("Seconds, from 1 to 86,400 (or leave it out).")]}
        rule: dict[str, Any] = {"kind": "phrase", "party": party, "phrases": [" ".join(p.split()) for p in phrases]}
        if within is not None:
            rule["within_seconds"] = within
        return rule, {}
    if kind == "sentiment":
        at_least = value.get("at_least", 0)
        if not isinstance(at_least, int | float) or isinstance(at_least, bool) or not -1 <= at_least <= 1:
            return None, {f"{where}.at_least": [_("A score from -1 to 1.")]}
        of = value.get("of", "overall")
        if of not in ("overall", "end"):
            return None, {f"{where}.of": [_("overall or end.")]}
        return {"kind": "sentiment", "party": party, "at_least": at_least, "of": of}, {}
    return None, {f"{where}.kind": [_("phrase or sentiment.")]}


def answer(interaction: Interaction, rule: dict[str, Any]) -> dict[str, Any]:
    """{"answer": "yes" | "no" | None, "evidence": {...}, "rule": rule}."""
    analysis = InteractionAnalysis.objects.filter(interaction=interaction).first()
    if rule["kind"] == "sentiment":
        found = _sentiment(interaction, analysis, rule)
    elif analysis is not None and analysis.call is not None:
        found = _spoken(analysis, rule)
    elif interaction.channel in ("voice", "video"):
        found = (None, {"reason": _("The call has not been analysed (no recording yet).")})
    else:
        found = _written(interaction, rule)
    return {"answer": found[0], "evidence": found[1], "rule": rule}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _sentiment(
    interaction: Interaction, analysis: InteractionAnalysis | None, rule: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    if analysis is None:
        from .analysis import _messages

        figures = _messages(interaction, [])
    else:
        figures = {
            "customer_score": analysis.customer_score,
            "agent_score": analysis.agent_score,
            "end_score": analysis.end_score,
        }
    party = rule["party"]
    if rule["of"] == "end":
        score = figures["end_score"] if party == "customer" else figures["agent_score"]
    else:
        score = figures[f"{party}_score"]
    if score is None:
        return None, {"reason": _("Nothing this party wrote could be judged.")}
    return _yes(score >= rule["at_least"]), {"source": "sentiment", "score": score, "label": text.label_of(score)}


def _written(interaction: Interaction, rule: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    kind = Message.Kind.AGENT if rule["party"] == "agent" else Message.Kind.CUSTOMER
    start = (interaction.assigned_at or interaction.created_at) if rule["party"] == "agent" else interaction.created_at
    within = rule.get("within_seconds")
    rows = (
        Message.objects.filter(interaction=interaction, kind=kind)
        .order_by("seq")
        .values_list("seq", "body", "created_at")
    )
    written = False
    for seq, body, at in rows:
        written = True
        seconds = (at - start).total_seconds()
        if within is not None and seconds > within:
            break
        phrase = text.find_phrase(rule["phrases"], body or "")
        if phrase is not None:
            return "yes", {
                "source": "transcript",
                "seq": seq,
                "at_seconds": round(max(0.0, seconds), 1),
                "phrase": phrase,
                "excerpt": (body or "")[:200],
            }
    if not written and within is None:
        return None, {"reason": _("This party wrote nothing.")}
    return "no", {"source": "transcript", "phrase": None}


def _spoken(analysis: InteractionAnalysis, rule: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if not analysis.speech_engine or analysis.speech_engine == "none":
        return None, {"reason": _("No speech engine listened to this call.")}
    listened = {p.lower() for p in (analysis.call or {}).get("listened_for", [])}
    wanted = [p for p in rule["phrases"] if p.lower() in listened]
    if not wanted:
        return None, {"reason": _("The call was not listened for these phrases (analyse it again).")}
    parties = [p for p in (analysis.call or {}).get("parties", []) if _party_kind(p["party"]) == rule["party"]]
    first = min((p.get("first_audio") or 0.0 for p in parties), default=0.0)
    within = rule.get("within_seconds")
    for s in analysis.spotted:
        if _party_kind(s["party"]) != rule["party"] or not text.find_phrase(wanted, s["phrase"]):
            continue
        if within is not None and s["start"] - first > within:
            continue
        return "yes", {
            "source": "keyword_spotting",
            "engine": analysis.speech_engine,
            "phrase": s["phrase"],
            "at_seconds": s["start"],
        }
    return "no", {"source": "keyword_spotting", "engine": analysis.speech_engine, "phrase": None}


def _party_kind(party: str) -> str:
    return "customer" if party == "customer" else "agent"
