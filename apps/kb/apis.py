"""REST API of the knowledge base.

- `GET/POST /api/v1/kb/articles`, `GET/PATCH /api/v1/kb/articles/{id}`: supervisors, admins and the
  owner write; every signed-in user reads (agents send links).
- `GET /api/v1/kb/search?q=&locale=`: published articles, `{"results": [{id, title, snippet, score,
  locale, url}], "search": <id>}`; public like the help center (the widget and the help center call it
  without a token), limited per address.
- `POST /api/v1/kb/articles/{id}/feedback` (`helpful`, optional `search`): a reader's vote, public.
- `POST /api/v1/kb/articles/{id}/outdated` (`note`): any signed-in user flags an article.
- `POST /api/v1/kb/drafts` (`interaction`): a draft article from a resolved conversation.
- `GET /api/v1/kb/report`: searches, no-result queries, deflections, votes, flags (supervisors).
- `GET /api/v1/kb/public/{id}`: a published article to read in the widget (title, sanitised HTML,
  address of its help-center page); public, limited per address.
- `GET /api/v1/kb/suggestions?interaction=&q=`: for an agent working on the conversation, articles
  matching its last customer messages (or `q`, the agent's own search), each with the absolute link
  the customer can open."""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.permissions import IsSupervisor
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema
from apps.core.validation import whole_number
from apps.inbox.actions import check_can_work_on
from apps.inbox.models import Interaction, Message

from .actions import do_draft_from_interaction, do_flag_outdated, do_log_search, do_save_article, do_vote
from .models import LOCALES, Article, SearchLog
from .selectors import article_json, report, search
from .text import clean_html

SEARCHES_PER_MINUTE = 60
SUGGESTION_MESSAGES = 3  # the customer's last messages the desktop's suggestions are looked up from


def client_address(request: Any) -> str:
    # The connecting peer, or the client a trusted proxy named (apps.core.proxy, TRUSTED_PROXIES).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _data(request: Request) -> dict[str, Any]:
    return request.data if isinstance(request.data, dict) else {}


class ArticlesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int | None = None) -> Response:
        if pk is not None:
            return Response(article_json(get_object_or_404(Article, pk=pk)))
        found = Article.objects.order_by("-updated_at")
        if request.query_params.get("status") in Article.Status.values:
            found = found.filter(status=request.query_params["status"])
        if request.query_params.get("locale") in dict(LOCALES):
            found = found.filter(locale=request.query_params["locale"])
        return Response({"results": [article_json(a) for a in found[:200]]})

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request, pk: int | None = None) -> Response:
        return Response(article_json(do_save_article(cast(User, request.user), request.data)), status=201)

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def patch(self, request: Request, pk: int | None = None) -> Response:
        return Response(article_json(do_save_article(cast(User, request.user), request.data, pk or 0)))


class SearchApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        check_rate(current_schema(), "kb-search", client_address(request._request), SEARCHES_PER_MINUTE, 60)
        q = request.query_params.get("q", "")[:200]
        locale = request.query_params.get("locale", "")
        if locale and locale not in dict(LOCALES):
            locale = ""
        source = request.query_params.get("source", "api")
        source = source if source in SearchLog.Source.values else "api"
        results = search(q, locale=locale)
        for r in results:
            r["url"] = f"/help/{r['id']}/"
        logged = do_log_search(q, locale, len(results), source) if q.strip() else None
        return Response({"results": results, "search": logged.pk if logged else None})


class FeedbackApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        check_rate(current_schema(), "kb-vote", client_address(request._request), 30, 60)
        data = _data(request)
        article = do_vote(get_object_or_404(Article, pk=pk), data.get("helpful"), data.get("search"))
        return Response({"helpful_yes": article.helpful_yes, "helpful_no": article.helpful_no})


class OutdatedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.DictField(), responses={200: serializers.DictField()})
    def post(self, request: Request, pk: int) -> Response:
        article = get_object_or_404(Article, pk=pk)
        return Response(article_json(do_flag_outdated(cast(User, request.user), article, _data(request).get("note"))))


class DraftApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(request=serializers.DictField(), responses={201: serializers.DictField()})
    def post(self, request: Request) -> Response:
        pk = _data(request).get("interaction")
        interaction = get_object_or_404(Interaction, pk=pk if isinstance(pk, int) else 0)
        return Response(article_json(do_draft_from_interaction(cast(User, request.user), interaction)), status=201)


class ReportApi(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        return Response(report())


class PublicArticleApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request, pk: int) -> Response:
        check_rate(current_schema(), "kb-read", client_address(request._request), SEARCHES_PER_MINUTE, 60)
        article = get_object_or_404(Article, pk=pk, status=Article.Status.PUBLISHED)
        # Sanitised when saved and again here: the widget puts it in its page as HTML.
        return Response(
            {
                "id": article.pk,
                "title": article.title,
                "body": clean_html(article.body),
                "locale": article.locale,
                "url": f"/help/{article.pk}/",
            }
        )


class SuggestionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        interaction_id = whole_number(request.query_params.get("interaction", ""), 18)
        interaction = get_object_or_404(Interaction, pk=interaction_id or 0)
        check_can_work_on(user, interaction)
        q = request.query_params.get("q", "").strip()[:200]
        if q:
            results = search(q)
            do_log_search(q, "", len(results), SearchLog.Source.DESKTOP)
        else:
            asked = Message.objects.filter(interaction=interaction, kind=Message.Kind.CUSTOMER).exclude(body="")
            bodies = list(asked.order_by("-seq").values_list("body", flat=True)[:SUGGESTION_MESSAGES])
            results = search(" ".join(reversed(bodies))[-200:], limit=5) if bodies else []
        for r in results:
            r["url"] = request.build_absolute_uri(f"/help/{r['id']}/")
        return Response({"results": results, "query": q})
