"""Knowledge-base writes: articles saved (sanitised, indexed for search in the same transaction),
searches logged, customers' votes and "this answered my question", agents' "outdated" flags, and a
draft article made from a resolved conversation."""

from __future__ import annotations

import html
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.core.validation import json_object
from apps.inbox.models import Interaction, Message

from .models import LOCALES, Article, Category, SearchLog
from .text import cjk_terms, clean_html, latin_text, plain_text, trigrams

EDITORS = ("owner", "admin", "supervisor")
MAX_BODY = 100_000


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _editor(actor: User) -> None:
    if actor.role not in EDITORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner write articles."))


def index_article(article: Article) -> None:
    """The article's search terms (title weighted above the text) and title trigrams."""
    text = plain_text(article.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kb_article SET search = "
            "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('simple', %s), 'A') || "
            "setweight(to_tsvector('english', %s), 'B') || setweight(to_tsvector('simple', %s), 'B'), "
            "title_search = to_tsvector('english', %s) || to_tsvector('simple', %s), "
            "title_grams = to_tsvector('simple', %s) WHERE id = %s",
            [
                latin_text(article.title),
                " ".join(cjk_terms(article.title)),
                latin_text(text),
                " ".join(cjk_terms(text)),
                latin_text(article.title),
                " ".join(cjk_terms(article.title)),
                " ".join(trigrams(article.title)),
                article.pk,
            ],
        )


def do_save_article(actor: User, data: Any, article_id: int | None = None) -> Article:
    _editor(actor)
    data = json_object(data)
    article = Article.objects.filter(pk=article_id).first() if article_id else Article()
    if article is None:
        raise NotFound(_("No such article."))
    title = data.get("title", article.title)
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= 200:
        raise _fail("title", _("1 to 200 characters."))
    body = data.get("body", article.body)
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        raise _fail("body", _("Some text, at most %(n)d characters.") % {"n": MAX_BODY})
    body = clean_html(body)
    if not plain_text(body) and "<img" not in body:
        raise _fail("body", _("Some text, at most %(n)d characters.") % {"n": MAX_BODY})
    locale = data.get("locale", article.locale or "en")
    if locale not in dict(LOCALES):
        raise _fail("locale", _("One of: %(l)s.") % {"l": ", ".join(dict(LOCALES))})
    status = data.get("status", article.status or Article.Status.DRAFT)
    if status not in Article.Status.values:
        raise _fail("status", _("One of: %(l)s.") % {"l": ", ".join(Article.Status.values)})
    category = article.category
    if "category" in data:
        category = None
        if data["category"] not in (None, ""):
            category = (
                Category.objects.filter(pk=data["category"]).first() if isinstance(data["category"], int) else None
            )
            if category is None:
                raise _fail("category", _("No such category."))
    group = article.translation_group
    if data.get("translation_of") not in (None, ""):
        other = (
            Article.objects.filter(pk=data["translation_of"]).first()
            if isinstance(data["translation_of"], int)
            else None
        )
        if other is None:
            raise _fail("translation_of", _("No such article."))
        if other.locale == locale:
            raise _fail("translation_of", _("A translation is in another language."))
        group = other.translation_group
    with transaction.atomic():
        if Article.objects.filter(translation_group=group, locale=locale).exclude(pk=article.pk).exists():
            raise _fail("translation_of", _("That article already has a version in this language."))
        now = timezone.now()
        if status == Article.Status.PUBLISHED and article.status != Article.Status.PUBLISHED:
            article.published_at = now
        article.title, article.body, article.locale, article.status = title.strip(), body, locale, status
        article.category, article.translation_group, article.updated_at = category, group or uuid.uuid4(), now
        if article.pk is None:
            article.author = actor
        article.save()
        index_article(article)
        record_audit(actor, "kb.article_saved", article, title=article.title, status=status, locale=locale)
    return article


def do_save_category(actor: User, name: Any) -> Category:
    _editor(actor)
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 80:
        raise _fail("name", _("1 to 80 characters."))
    with transaction.atomic():
        category, created = Category.objects.get_or_create(name=name.strip())
        if created:
            record_audit(actor, "kb.category_saved", category, name=category.name)
    return category


def do_log_search(q: str, locale: str, results: int, source: str) -> SearchLog:
    return SearchLog.objects.create(
        query=q.strip()[:200], locale=locale[:8], results=min(results, 32767), source=source
    )


def do_vote(article: Article, helpful: Any, search_id: Any = None) -> Article:
    """A reader's "did this answer your question?" (yes also marks their search answered)."""
    if not isinstance(helpful, bool):
        raise _fail("helpful", _("true or false."))
    if article.status != Article.Status.PUBLISHED:
        raise NotFound(_("No such article."))
    with transaction.atomic():
        field = "helpful_yes" if helpful else "helpful_no"
        Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
        if helpful and isinstance(search_id, int):
            SearchLog.objects.filter(pk=search_id, answered_by__isnull=True).update(answered_by=article)
    article.refresh_from_db()
    return article


def do_flag_outdated(actor: User, article: Article, note: Any) -> Article:
    if not isinstance(note, str) or not 1 <= len(note.strip()) <= 500:
        raise _fail("note", _("Say what is out of date (1 to 500 characters)."))
    with transaction.atomic():
        article.outdated_note = note.strip()
        article.save(update_fields=["outdated_note"])
        record_audit(actor, "kb.article_flagged", article, note=article.outdated_note)
    return article


def do_draft_from_interaction(actor: User, interaction: Interaction) -> Article:
    """A draft article from a resolved conversation: its subject as the title, the customer's
    questions and the agents' answers as the text, for an editor to rewrite and publish."""
    _editor(actor)
    if interaction.status != Interaction.Status.RESOLVED:
        raise ValidationFailed(_("Only a resolved conversation can become an article."))
    parts = []
    for m in Message.objects.filter(
        interaction=interaction, kind__in=[Message.Kind.CUSTOMER, Message.Kind.AGENT]
    ).order_by("seq")[:50]:
        if m.body.strip():
            who = _("Question") if m.kind == Message.Kind.CUSTOMER else _("Answer")
            parts.append(f"<p><strong>{html.escape(str(who))}:</strong> {html.escape(m.body)}</p>")
    if not parts:
        raise ValidationFailed(_("This conversation has no text to draft from."))
    locale = "zh-hans" if any(cjk_terms(m) for m in parts) else "en"
    title = interaction.subject or _("Answer from conversation %(id)s") % {"id": interaction.pk}
    with transaction.atomic():
        article = Article.objects.create(
            title=title[:200],
            body=clean_html("".join(parts)),
            locale=locale,
            author=actor,
            source_interaction_id=interaction.pk,
        )
        index_article(article)
        record_audit(actor, "kb.article_drafted", article, interaction=interaction.pk)
    return article
