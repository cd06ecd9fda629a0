"""Webhooks' reads, as the API and the settings page show them. The secret is never among them: it is
shown once, by the action that made it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import EVENTS, Attempt, Delivery, Subscription

RECENT = 50


def events() -> list[dict[str, str]]:
    return [{"name": name, "description": str(text)} for name, text in EVENTS.items()]


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.pk,
        "url": sub.url,
        "description": sub.description,
        "events": sub.events,
        "is_active": sub.is_active,
        "disabled_reason": sub.disabled_reason,
        "failing_since": sub.failing_since.isoformat() if sub.failing_since else None,
        "secret_hint": sub.secret_hint + "…",
        "created_at": sub.created_at.isoformat(),
    }


def subscriptions() -> list[dict[str, Any]]:
    return [subscription_json(s) for s in Subscription.objects.all()]


def attempt_json(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "manual": a.manual,
        "started_at": a.started_at.isoformat(),
        "duration_ms": a.duration_ms,
        "status_code": a.status_code,
        "response_body": a.response_body,
        "error": a.error,
        "succeeded": a.succeeded,
    }


def delivery_json(d: Delivery, *, with_attempts: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.pk,
        "uid": str(d.uid),
        "subscription": d.subscription_id,
        "event": d.event,
        "event_id": str(d.event_id),
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "created_at": d.created_at.isoformat(),
    }
    if with_attempts:
        out["body"] = d.body
        out["attempt_log"] = [attempt_json(a) for a in d.attempt_log.all()]
    return out


def recent_deliveries(subscription_id: int | None = None, limit: int = RECENT) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("subscription").prefetch_related("attempt_log").order_by("-created_at", "-pk")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    return qs[:limit]
