"""Writes of interaction analytics: storing an analysis (replacing the previous whole; `tasks` queues
and runs them), the tenant's topics, the phrases calls
are listened for, and quality's automatic answers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.inbox.models import Interaction

from .models import AutoAnswer, InteractionAnalysis, KeywordHit, Topic, TopicHit, WatchedPhrase

MANAGERS = {"owner", "admin", "supervisor"}
MAX_TOPICS, MAX_PHRASES = 200, 50


def do_store_analysis(interaction: Interaction, result: dict[str, Any]) -> InteractionAnalysis:
    """Replace the interaction's analysis and its topic and keyword hits with `result` (one
    transaction: a reader sees the old analysis or the new, never a mix or both)."""
    fields = {k: v for k, v in result.items() if k not in ("keyword_hits",)}
    with transaction.atomic():
        Interaction.objects.select_for_update(of=("self",)).filter(pk=interaction.pk).first()
        previous = InteractionAnalysis.objects.filter(interaction=interaction).first()
        generation = (previous.generation + 1) if previous else 1
        analysis, _created = InteractionAnalysis.objects.update_or_create(
            interaction=interaction, defaults={**fields, "generation": generation}
        )
        TopicHit.objects.filter(analysis=analysis).delete()
        KeywordHit.objects.filter(analysis=analysis).delete()
        topic_ids = dict(Topic.objects.values_list("name", "pk"))
        TopicHit.objects.bulk_create(
            TopicHit(
                analysis=analysis,
                topic_id=topic_ids.get(t["name"]),
                name=t["name"],
                day=analysis.day,
                queue_id=analysis.queue_id,
                channel=analysis.channel,
            )
            for t in analysis.topics
        )
        KeywordHit.objects.bulk_create(
            KeywordHit(analysis=analysis, term=term[:60], count=count, day=analysis.day, queue_id=analysis.queue_id)
            for term, count in analysis.keywords
        )
    return analysis


# --- topics ---------------------------------------------------------------------------------------


def _manager(actor: User) -> None:
    if actor.role not in MANAGERS:
        raise PermissionDenied(_("Only supervisors, admins and the owner manage topics."))


def _clean_topic(name: Any, phrases: Any) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    clean_name = name.strip() if isinstance(name, str) else ""
    if not clean_name or len(clean_name) > 80:
        errors["name"] = [_("A name of 1 to 80 characters.")]
    clean: list[str] = []
    if not isinstance(phrases, list) or not phrases or len(phrases) > MAX_PHRASES:
        errors["phrases"] = [_("1 to %(n)d phrases.") % {"n": MAX_PHRASES}]
    else:
        for phrase in phrases:
            text = " ".join(phrase.split()) if isinstance(phrase, str) else ""
            if not text or len(text) > 100:
                errors["phrases"] = [_("Each phrase has 1 to 100 characters.")]
                break
            if text.lower() not in (p.lower() for p in clean):
                clean.append(text)
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    return clean_name, clean


def do_save_topic(actor: User, *, name: Any, phrases: Any, topic_id: int | None = None) -> Topic:
    """Create a topic (or change one): new analyses match it; past ones keep what they matched."""
    _manager(actor)
    clean_name, clean = _clean_topic(name, phrases)
    with transaction.atomic():
        clash = Topic.objects.filter(name__iexact=clean_name).exclude(pk=topic_id or 0).exists()
        if clash:
            raise ValidationFailed(
                _("Please correct the errors below."), fields={"name": [_("Another topic has this name.")]}
            )
        if topic_id is None:
            if Topic.objects.count() >= MAX_TOPICS:
                raise ValidationFailed(
                    _("At most %(n)d topics.") % {"n": MAX_TOPICS}, fields={"name": [_("Too many topics.")]}
                )
            topic = Topic.objects.create(name=clean_name, phrases=clean, created_by=actor)
            record_audit(actor, "analytics.topic_created", topic, name=clean_name, phrases=clean)
        else:
            found = Topic.objects.select_for_update().filter(pk=topic_id).first()
            if found is None:
                raise NotFound(_("No such topic."))
            topic = found
            topic.name, topic.phrases = clean_name, clean
            topic.save(update_fields=["name", "phrases"])
            record_audit(actor, "analytics.topic_changed", topic, name=clean_name, phrases=clean)
    return topic


def do_delete_topic(actor: User, topic_id: int) -> None:
    _manager(actor)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        if topic is None:
            raise NotFound(_("No such topic."))
        record_audit(actor, "analytics.topic_deleted", topic, name=topic.name)
        topic.delete()


def do_watch_phrases(phrases: list[str], source: str = "quality") -> None:
    """Listen for these phrases in calls analysed from now on (quality's automatic answers: called inside
    the transaction that saves the form)."""
    for phrase in {" ".join(p.split())[:100] for p in phrases if isinstance(p, str) and p.strip()}:
        WatchedPhrase.objects.get_or_create(phrase=phrase, defaults={"source": source})


def do_record_auto_answers(evaluation_id: int, interaction: Interaction, found: dict[str, dict[str, Any]]) -> None:
    """Keep the automatic answers of a new evaluation and their evidence (inside quality's transaction)."""
    AutoAnswer.objects.bulk_create(
        AutoAnswer(
            evaluation_id=evaluation_id,
            question_id=qid,
            interaction=interaction,
            rule=item["rule"],
            answer=item["answer"] or "",
            evidence=item["evidence"],
        )
        for qid, item in found.items()
    )
