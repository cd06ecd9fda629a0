"""Knowledge-base reads: search (full text in both languages, typos in titles), articles for the help
center, and the report (searches with no result, deflections, votes, flags)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Article, SearchLog
from .text import cjk_terms, jieba_words, latin_text, plain_text, snippet, trigrams

MAX_TERMS = 32
CANDIDATES = 300
TYPO_SIMILARITY = 0.3


def _terms(q: str) -> tuple[list[str], list[str]]:
    words = [w for w in latin_text(q).split() if any(c.isalnum() for c in w)]
    return words[:MAX_TERMS], cjk_terms(q)[:MAX_TERMS]


def _query_sql(words: list[str], cjk: list[str], joiner: str) -> tuple[str, list[str]]:
    """A tsquery of the words joined by `joiner` ("&&": all of them, "||": any)."""
    parts = ["plainto_tsquery('english', %s)"] * len(words) + ["plainto_tsquery('simple', %s)"] * len(cjk)
    return "(" + f" {joiner} ".join(parts) + ")", [*words, *cjk]


def _ranked(
    query: str, params: list[str], where: list[str], extra: list[Any], limit: int, *, titles: bool = False
) -> list[tuple[Any, ...]]:
    """Articles matching `query` (`titles`: in their titles), best first. PostgreSQL ranks every match
    it is given (no index orders by rank), so a query that matches a large part of a big knowledge base
    is ranked over its first CANDIDATES matches: the title pass before the text pass, and all words
    before any word, keep the best ones among those."""
    column = "title_search" if titles else "search"
    sql = (
        f"WITH q AS MATERIALIZED (SELECT {query} AS q), "
        f"cand AS MATERIALIZED (SELECT c.id FROM kb_article c, q WHERE c.{column} @@ q.q AND {' AND '.join(where)} "
        f"LIMIT {CANDIDATES}) "
        f"SELECT a.id, a.title, a.body, a.locale, ts_rank(a.search, q.q) AS score "
        f"FROM cand JOIN kb_article a ON a.id = cand.id, q ORDER BY score DESC, a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *extra, limit])
        return list(cursor.fetchall())


def search(
    q: str, *, locale: str = "", limit: int = 10, statuses: tuple[str, ...] = ("published",)
) -> list[dict[str, Any]]:
    """Articles for `q`, best first: {id, title, snippet, score, locale}. Words in either language
    match the title (weighted) and text; a title within a typo or two of a query word comes after."""
    q = (q or "").strip()[:200]
    words, cjk = _terms(q)
    if not words and not cjk:
        return []
    where = ["c.status = ANY(%s)"]
    extra: list[Any] = [list(statuses)]
    if locale:
        where.append("c.locale = %s")
        extra.append(locale)
    # Every word first (Chinese: jieba's words of two characters or more), then any word (pairs of
    # characters too); each in titles, then anywhere.
    strict_cjk = [t for t in cjk if len(t) >= 2 and t in set(jieba_words(q))]
    phases = [("&&", words, strict_cjk)] if len(words) + len(strict_cjk) > 1 else []
    phases.append(("||", words, cjk))
    rows: list[tuple[Any, ...]] = []
    for joiner, w, c in phases:
        for titles in (True, False):
            if len(rows) >= limit:
                break
            seen = {r[0] for r in rows}
            found_now = _ranked(*_query_sql(w, c, joiner), where, extra, limit, titles=titles)
            rows += [r for r in found_now if r[0] not in seen]
    rows = rows[:limit]
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
    if len(results) < limit and len(grams) >= 2:
        # Two adjacent trigrams of a query word in the title: a typo breaks at most three of a word's.
        pairs = [f"{a} {b}" for word in words for a, b in zip(trigrams(word), trigrams(word)[1:], strict=False)][:40]
        gram_sql = " || ".join(["plainto_tsquery('simple', %s)"] * len(pairs))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH q AS MATERIALIZED (SELECT ({gram_sql}) AS q), "
                f"cand AS MATERIALIZED (SELECT c.id FROM kb_article c, q WHERE c.title_grams @@ q.q "
                f"AND {' AND '.join(where)} LIMIT {CANDIDATES}) "
                f"SELECT a.id, a.title, a.body, a.locale FROM cand JOIN kb_article a ON a.id = cand.id, q "
                f"ORDER BY ts_rank(a.title_grams, q.q) DESC, a.id LIMIT 50",
                [*pairs, *extra],
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
