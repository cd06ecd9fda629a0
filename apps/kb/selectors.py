"""Knowledge-base reads: search (full text in both languages, typos in titles), articles for the help
center, and the report (searches with no result, deflections, votes, flags)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Article, SearchLog
from .text import cjk_terms, latin_text, plain_text, snippet, trigrams

MAX_TERMS = 32
TYPO_SIMILARITY = 0.3


def _terms(q: str) -> tuple[list[str], list[str]]:
    words = [w for w in latin_text(q).split() if any(c.isalnum() for c in w)]
    return words[:MAX_TERMS], cjk_terms(q)[:MAX_TERMS]


def _query_sql(words: list[str], cjk: list[str]) -> tuple[str, list[str]]:
    """A tsquery that matches any of the words (ranked by how many and where)."""
    parts = ["plainto_tsquery('english', %s)"] * len(words) + ["plainto_tsquery('simple', %s)"] * len(cjk)
    return "(" + " || ".join(parts) + ")", [*words, *cjk]


def search(
    q: str, *, locale: str = "", limit: int = 10, statuses: tuple[str, ...] = ("published",)
) -> list[dict[str, Any]]:
    """Articles for `q`, best first: {id, title, snippet, score, locale}. Words in either language
    match the title (weighted) and text; a title within a typo or two of a query word comes after."""
    q = (q or "").strip()[:200]
    words, cjk = _terms(q)
    if not words and not cjk:
        return []
    query, params = _query_sql(words, cjk)
    where = ["a.status = ANY(%s)"]
    extra: list[Any] = [list(statuses)]
    if locale:
        where.append("a.locale = %s")
        extra.append(locale)
    sql = (
        f"SELECT a.id, a.title, a.body, a.locale, ts_rank_cd(a.search, q.q) AS score "
        f"FROM kb_article a, (SELECT {query} AS q) q "
        f"WHERE a.search @@ q.q AND {' AND '.join(where)} ORDER BY score DESC, a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *extra, limit])
        rows = cursor.fetchall()
    found = {row[0] for row in rows}
    terms = [*words, *cjk]
    results = [
        {
            "id": r[0],
            "title": r[1],
            "snippet": snippet(plain_text(r[2]), terms),
            "score": round(float(r[4]), 4),
            "locale": r[3],
        }
        for r in rows
    ]
    grams = trigrams(" ".join(words))
    if len(results) < limit and grams:
        gram_sql = " || ".join(["plainto_tsquery('simple', %s)"] * len(grams[:60]))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT a.id, a.title, a.body, a.locale FROM kb_article a, (SELECT ({gram_sql}) AS q) q "
                f"WHERE a.title_grams @@ q.q AND {' AND '.join(where)} "
                f"ORDER BY ts_rank(a.title_grams, q.q) DESC, a.id LIMIT 50",
                [*grams[:60], *extra],
            )
            near = cursor.fetchall()
        wanted = set(grams)
        for r in near:
            if r[0] in found or len(results) >= limit:
                continue
            title_grams = set(trigrams(r[1]))
            similarity = len(wanted & title_grams) / max(1, len(wanted | title_grams))
            best_word = max(
                (len(set(trigrams(w)) & title_grams) / max(1, len(set(trigrams(w)))) for w in words), default=0
            )
            if similarity >= TYPO_SIMILARITY or best_word >= 0.5:
                results.append(
                    {
                        "id": r[0],
                        "title": r[1],
                        "snippet": snippet(plain_text(r[2]), terms),
                        "score": round(0.01 * best_word, 4),
                        "locale": r[3],
                    }
                )
    return results


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "locale": article.locale,
        "category": article.category_id,
        "status": article.status,
        "translation_group": str(article.translation_group),
        "translations": {
            a.locale: a.pk
            for a in Article.objects.filter(translation_group=article.translation_group).exclude(pk=article.pk)
        },
        "helpful_yes": article.helpful_yes,
        "helpful_no": article.helpful_no,
        "outdated_note": article.outdated_note,
        "source_interaction": article.source_interaction_id,
        "updated_at": article.updated_at.isoformat(),
        "published_at": article.published_at.isoformat() if article.published_at else None,
    }


def report(days: int = 30) -> dict[str, Any]:
    """The last `days`: searches, how many found nothing (and which), how many an article answered."""
    since = timezone.now() - timedelta(days=days)
    logs = SearchLog.objects.filter(created_at__gte=since)
    totals = logs.aggregate(
        searches=Count("id"),
        empty=Count("id", filter=Q(results=0)),
        answered=Count("id", filter=Q(answered_by__isnull=False)),
    )
    unanswered = list(
        logs.filter(results=0).values("query", "locale").annotate(count=Count("id")).order_by("-count", "query")[:20]
    )
    votes = Article.objects.aggregate(yes=Sum("helpful_yes"), no=Sum("helpful_no"))
    return {
        "days": days,
        "searches": totals["searches"],
        "no_result": totals["empty"],
        "deflections": totals["answered"],
        "no_result_queries": unanswered,
        "helpful_yes": votes["yes"] or 0,
        "helpful_no": votes["no"] or 0,
        "flagged": list(Article.objects.exclude(outdated_note="").values("id", "title", "outdated_note")[:50]),
    }
