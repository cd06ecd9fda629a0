"""The knowledge base: articles (English and Simplified Chinese versions linked as translations),
their categories, and what customers searched for (the report of searches with no result and of
questions answered without an agent)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LOCALES = (("en", "English"), ("zh-hans", "简体中文"))


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))  # sanitised HTML (kb.text.clean_html)
    locale = models.CharField(_("language"), max_length=8, choices=LOCALES, default="en")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Versions of one article in several languages share the group.
    translation_group = models.UUIDField(default=uuid.uuid4, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    outdated_note = models.CharField(max_length=500, blank=True)  # set: an agent flagged it outdated
    # The resolved conversation it was drafted from, if any.
    source_interaction_id = models.BigIntegerField(null=True, blank=True)
    # Words (stemmed English, Chinese words and character pairs) weighted title A, text B; and the
    # title's letter trigrams, for typos (kb.text).
    search = SearchVectorField(null=True, editable=False)
    title_search = SearchVectorField(null=True, editable=False)  # the title's terms alone (searched first)
    title_grams = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            GinIndex(fields=["search"], name="kb_article_search"),
            GinIndex(fields=["title_search"], name="kb_article_title_search"),
            GinIndex(fields=["title_grams"], name="kb_article_title_grams"),
        ]

    def __str__(self) -> str:
        return self.title


class SearchLog(models.Model):
    """One search by a customer (widget, help center) or an agent: what was asked, how many results,
    and whether the customer said an article answered it (a deflection)."""

    class Source(models.TextChoices):
        WIDGET = "widget", _("Widget")
        HELP = "help", _("Help center")
        DESKTOP = "desktop", _("Desktop")
        API = "api", _("API")

    query = models.CharField(max_length=200)
    locale = models.CharField(max_length=8)
    results = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices)
    answered_by = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["created_at"], name="kb_search_created")]

    def __str__(self) -> str:
        return self.query
