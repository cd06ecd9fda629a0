"""Pages of the knowledge base: the public help center of each tenant (`/help/`, search and categories
in the reader's language, an article with "did this answer your question?"), and the editors' page
(`/kb/`: articles, the report of searches with no result and of deflections, flags) with the editor."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, RateLimited
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema
from apps.core.validation import whole_number

from .actions import EDITORS, do_log_search, do_save_article, do_save_category, do_vote
from .models import LOCALES, Article, Category
from .selectors import report, search
from .text import clean_html


def reader_locale() -> str:
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


@require_http_methods(["GET"])
def help_center(request: HttpRequest) -> HttpResponse:
    locale = reader_locale()
    q = request.GET.get("q", "").strip()[:200]
    results = None
    search_id = None
    if q:
        try:
            check_rate(current_schema(), "kb-search", str(request.META.get("REMOTE_ADDR") or "?"), 60, 60)
        except RateLimited as exc:
            return render(request, "kb/help.html", {"q": q, "error": exc.message}, status=429)
        results = search(q, locale=locale)
        search_id = do_log_search(q, locale, len(results), "help").pk
    published = Article.objects.filter(status=Article.Status.PUBLISHED, locale=locale).select_related("category")
    groups: dict[str, list[Article]] = {}
    for article in published.order_by("category__position", "category__name", "title"):
        groups.setdefault(article.category.name if article.category else _("Other questions"), []).append(article)
    return render(request, "kb/help.html", {"q": q, "results": results, "search": search_id, "groups": groups})


@require_http_methods(["GET", "POST"])
def help_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk, status=Article.Status.PUBLISHED)
    if request.method == "POST":
        try:
            check_rate(current_schema(), "kb-vote", str(request.META.get("REMOTE_ADDR") or "?"), 30, 60)
            do_vote(article, request.POST.get("helpful") == "yes", whole_number(request.POST.get("search")))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you: your answer helps us improve this article."))
        return redirect(reverse("help-article", args=[article.pk]))
    translations = Article.objects.filter(
        translation_group=article.translation_group, status=Article.Status.PUBLISHED
    ).exclude(pk=article.pk)
    # Sanitised when saved, and again here (the allow-list may have narrowed since): HTML, not script data.
    body = mark_safe(clean_html(article.body))  # noqa: S308
    return render(
        request,
        "kb/help_article.html",
        {"article": article, "body": body, "translations": translations, "search": request.GET.get("search", "")},
    )


def _editor(request: HttpRequest) -> User | None:
    user = cast(User, request.user)
    return user if user.role in EDITORS else None


@login_required
@require_http_methods(["GET", "POST"])
def kb_page(request: HttpRequest) -> HttpResponse:
    user = _editor(request)
    if user is None:
        return render(request, "core/forbidden.html", status=403)
    if request.method == "POST":
        try:
            category = do_save_category(user, request.POST.get("category_name"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Category %(name)s added.") % {"name": category.name})
        return redirect("kb")
    status = request.GET.get("status", "")
    articles = Article.objects.select_related("category").order_by("-updated_at")
    if status in Article.Status.values:
        articles = articles.filter(status=status)
    return render(
        request,
        "kb/kb.html",
        {
            "articles": articles[:300],
            "status": status,
            "statuses": Article.Status.choices,
            "report": report(),
            "categories": Category.objects.all(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def kb_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _editor(request)
    if user is None:
        return render(request, "core/forbidden.html", status=403)
    article = get_object_or_404(Article, pk=pk) if pk else None
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""),
            "locale": request.POST.get("locale", "en"),
            "status": request.POST.get("status", "draft"),
            "category": whole_number(request.POST.get("category")) if request.POST.get("category") else None,
            "translation_of": whole_number(request.POST.get("translation_of"))
            if request.POST.get("translation_of")
            else None,
        }
        try:
            saved = do_save_article(user, values, article.pk if article else None)
        except ApplicationError as exc:
            errors = dict(exc.fields or {"title": [exc.message]})
        else:
            messages.success(request, _("Article saved (%(status)s).") % {"status": saved.get_status_display()})
            return redirect("kb-edit", pk=saved.pk)
    elif request.GET.get("from"):
        try:
            article_from = int(request.GET["from"])
        except ValueError:
            raise Http404 from None
        if article is None:
            original = get_object_or_404(Article, pk=article_from)
            values = {
                "translation_of": original.pk,
                "locale": "zh-hans" if original.locale == "en" else "en",
                "category": original.category_id,
            }
    others = (Article.objects.exclude(pk=article.pk) if article else Article.objects.all()).order_by("title")
    return render(
        request,
        "kb/kb_edit.html",
        {
            "article": article,
            "values": values,
            "errors": errors,
            "locales": LOCALES,
            "statuses": Article.Status.choices,
            "categories": Category.objects.all(),
            "others": others[:500],
        },
        status=400 if errors else 200,
    )
