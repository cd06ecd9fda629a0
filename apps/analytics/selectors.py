"""Reads of interaction analytics: one interaction's analysis (for those who may read the interaction;
what comes from a call's recording for supervisors and up only), the call's talk pattern for the
evaluation page, trends of sentiment, topics and keywords by day and queue, and quality's automatic
answers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import NotFound, ValidationFailed
from apps.inbox.models import Interaction
from apps.routing.models import Queue

from .models import AutoAnswer, InteractionAnalysis, KeywordHit, Topic, TopicHit

MAX_DAYS = 92
TOP_KEYWORDS = 10


def readable_interaction(user: User, interaction_id: int) -> Interaction:
    """The interaction, if `user` may read it: supervisors and up any; an agent one assigned to them or
    that the record shows them offered or handling (the journey's rule). Otherwise NotFound."""
    interaction = Interaction.objects.filter(pk=interaction_id).first()
    if interaction is None:
        raise NotFound(_("No such interaction."))
    if user.is_manager or interaction.assignee_id == user.pk:
        return interaction
    if interaction.segments.filter(agent__user=user).exists():
        return interaction
    raise NotFound(_("No such interaction."))


def analysis_json(analysis: InteractionAnalysis, *, with_call: bool) -> dict[str, Any]:
    topics = [t for t in analysis.topics if with_call or t.get("seq") is not None]
    return {
        "interaction": analysis.interaction_id,
        "channel": analysis.channel,
        "queue": analysis.queue_id,
        "day": analysis.day.isoformat(),
        "analysed_at": analysis.analysed_at.isoformat(),
        "runs": analysis.generation,
        "languages": analysis.languages,
        "sentiment": {
            "customer": {"score": analysis.customer_score, "label": analysis.customer_label or None},
            "agent": {"score": analysis.agent_score, "label": analysis.agent_label or None},
            "end": {"score": analysis.end_score, "label": analysis.end_label or None},
        },
        "messages": analysis.messages,
        "keywords": analysis.keywords,
        "topics": topics,
        "call": (
            {**analysis.call, "spotted": analysis.spotted, "speech_engine": analysis.speech_engine}
            if with_call and analysis.call
            else None
        ),
        "cost": analysis.cost if with_call else None,
    }


def interaction_analysis(user: User, interaction_id: int) -> dict[str, Any] | None:
    """The analysis `user` may see of the interaction (None: not analysed yet); NotFound when they may
    not read the interaction."""
    readable_interaction(user, interaction_id)
    analysis = InteractionAnalysis.objects.filter(interaction_id=interaction_id).first()
    if analysis is None:
        return None
    return analysis_json(analysis, with_call=user.is_manager)


def summary_for(interaction_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For timelines (whoever reads them): each analysed interaction's customer sentiment (overall, at
    the end) and the topics written in it (not those spotted in a call's recording: supervisors' only)."""
    out: dict[int, dict[str, Any]] = {}
    rows = InteractionAnalysis.objects.filter(interaction_id__in=interaction_ids).values_list(
        "interaction_id", "customer_score", "customer_label", "end_score", "end_label", "topics"
    )
    for pk, score, label, end_score, end_label, topics in rows:
        out[pk] = {
            "sentiment": {
                "score": score,
                "label": label or None,
                "end_score": end_score,
                "end_label": end_label or None,
            },
            "topics": sorted({t["name"] for t in topics if t.get("seq") is not None}),
        }
    return out


def call_timeline(interaction_id: int) -> dict[str, Any] | None:
    """Who spoke when in the interaction's recorded call (None: no analysed recording):
    {"duration", "parties": [{"party", "segments": [[start_s, end_s], ...], "talk_seconds"}], "overtalk":
    [[s, e], ...], "silence_seconds", "talk_listen_ratio"}, plus "overtalk_seconds", "overtalk_count",
    "longest_silence_seconds" and the phrases spotted ("spotted": [{party, phrase, start, end}]).
    Callers authorise first: this is recording-derived (supervisors and up)."""
    analysis = InteractionAnalysis.objects.filter(interaction_id=interaction_id).only("call", "spotted").first()
    if analysis is None or not analysis.call:
        return None
    return {**analysis.call, "spotted": analysis.spotted}


# --- trends ----------------------------------------------------------------------------------------


def tenant_today() -> date:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from apps.core.hooks import tenant_time_zone

    try:
        zone = ZoneInfo(tenant_time_zone())
    except Exception:
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def parse_range(params: Any, today: date) -> tuple[date, date, int | None, str | None]:
    """from/to (dates, inclusive; default the last 30 days), queue (id), channel; 400 with a message per
    field on a bad one."""
    errors: dict[str, list[str]] = {}

    def day(name: str, default: date) -> date:
        raw = str(params.get(name) or "")
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = [_("A date as YYYY-MM-DD.")]
            return default

    end = day("to", today)
    start = day("from", end - timedelta(days=29))
    if not errors and start > end:
        errors["from"] = [_("The start comes before the end.")]
    elif not errors and (end - start).days >= MAX_DAYS:
        errors["to"] = [_("At most %(n)d days at once.") % {"n": MAX_DAYS}]
    queue: int | None = None
    raw_queue = str(params.get("queue") or "")
    if raw_queue:
        if not raw_queue.isascii() or not raw_queue.isdigit() or len(raw_queue) > 9:
            errors["queue"] = [_("A queue id.")]
        else:
            queue = int(raw_queue)
    channel = str(params.get("channel") or "") or None
    if channel is not None and (len(channel) > 16 or not channel.isalpha()):
        errors["channel"] = [_("A channel name.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    return start, end, queue, channel


def trends(start: date, end: date, *, queue: int | None = None, channel: str | None = None) -> dict[str, Any]:
    """Per day: interactions analysed and the customer's average sentiment (overall, at the end) with
    the count of each end label; topics per day and per queue; the top keywords and their days."""
    analyses = InteractionAnalysis.objects.filter(day__gte=start, day__lte=end)
    topic_hits = TopicHit.objects.filter(day__gte=start, day__lte=end)
    keyword_hits = KeywordHit.objects.filter(day__gte=start, day__lte=end)
    if queue is not None:
        analyses, topic_hits = analyses.filter(queue_id=queue), topic_hits.filter(queue_id=queue)
        keyword_hits = keyword_hits.filter(queue_id=queue)
    if channel is not None:
        analyses, topic_hits = analyses.filter(channel=channel), topic_hits.filter(channel=channel)
        keyword_hits = keyword_hits.filter(analysis__channel=channel)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    by_day = {
        row["day"]: row
        for row in analyses.values("day").annotate(
            interactions=Count("pk"),
            customer=Avg("customer_score"),
            end=Avg("end_score"),
            positive=Count("pk", filter=Q(end_label="positive")),
            neutral=Count("pk", filter=Q(end_label="neutral")),
            negative=Count("pk", filter=Q(end_label="negative")),
        )
    }
    sentiment = []
    for d in days:
        row = by_day.get(d, {})
        sentiment.append(
            {
                "day": d.isoformat(),
                "interactions": row.get("interactions", 0),
                "customer": _round(row.get("customer")),
                "end": _round(row.get("end")),
                "positive": row.get("positive", 0),
                "neutral": row.get("neutral", 0),
                "negative": row.get("negative", 0),
            }
        )
    queue_names = dict(Queue.objects.values_list("pk", "name"))
    topics_by_day = [
        {"day": r["day"].isoformat(), "topic": r["name"], "count": r["count"]}
        for r in topic_hits.values("day", "name").annotate(count=Count("pk")).order_by("day", "name")
    ]
    topics_by_queue = [
        {"queue": r["queue_id"], "queue_name": queue_names.get(r["queue_id"]), "topic": r["name"], "count": r["count"]}
        for r in topic_hits.values("queue_id", "name")
        .annotate(count=Count("pk"))
        .order_by("queue_id", "-count", "name")
    ]
    totals = list(topic_hits.values("name").annotate(count=Count("pk")).order_by("-count", "name"))
    top = list(keyword_hits.values("term").annotate(count=Sum("count")).order_by("-count", "term")[:TOP_KEYWORDS])
    terms = [t["term"] for t in top]
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    for r in keyword_hits.filter(term__in=terms).values("term", "day").annotate(count=Sum("count")):
        per_day[r["term"]][r["day"].isoformat()] = r["count"]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": [d.isoformat() for d in days],
        "sentiment": sentiment,
        "topics": {
            "totals": [{"topic": t["name"], "count": t["count"]} for t in totals],
            "by_day": topics_by_day,
            "by_queue": topics_by_queue,
        },
        "keywords": [
            {"term": t["term"], "count": t["count"], "by_day": [per_day[t["term"]].get(d.isoformat(), 0) for d in days]}
            for t in top
        ],
    }


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def topic_json(topic: Topic) -> dict[str, Any]:
    return {"id": topic.pk, "name": topic.name, "phrases": topic.phrases}


def auto_answers_for(evaluation_id: int) -> dict[str, dict[str, Any]]:
    """The questions of an evaluation that were answered automatically: {question id: {answer, evidence,
    rule}} (answer "" when the analysis could not tell)."""
    return {
        a.question_id: {"answer": a.answer or None, "evidence": a.evidence, "rule": a.rule}
        for a in AutoAnswer.objects.filter(evaluation_id=evaluation_id)
    }
