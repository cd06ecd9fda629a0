"""`POST /widget/events/`: what the widget loader on a business's site records (page views, the site's
own events, time on page), taken on the event loop in a handful of round trips.

It is the busiest write of the product (every page view of every visitor of every tenant), so it does
not go through Django's request cycle (a thread hop, the middleware stack, `SET search_path`, a
transaction and several ORM round trips: ~15 ms of CPU a batch, 1,300 events/s on one process, see
docs/benchmarks.md). It runs the same checks, in this order, on the loop:

1. the body: at most 64 KB (413), JSON with the product's safety checks (400);
2. the tenant, from the Host header (cached 30 s), as the tenant middleware would (404 if none);
3. the widget key (cached 10 s) and the page's `Origin` against its allowed origins (403);
4. the signed visitor token, for this tenant and key (400 `unknown_visitor`);
5. a limit per visitor, shared by every process through Redis (429 with Retry-After);
6. every event (`actions.check_browser_batch`: pure Python, the tenant's allowed query parameters and
   retention cached 10 s) — the first fault is named and nothing is stored;
7. one schema-qualified statement (`apps.core.adb`, autocommit) that follows the visitor's contact
   through merges, inserts the batch and returns the contact's open conversations; time on page is
   one more statement per `page_time`; then `journey.updated` to the agents viewing those
   conversations. An event named as an engagement rule's conversion event (names cached 10 s) marks
   this visitor's invitations of the week converted: one more statement, only then.
Answers 204, or the product's error body; `Access-Control-Allow-Origin` names the page's origin.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core import adb
from apps.core.asgi import read_body, schema_for_host, scope_header
from apps.core.errors import ApplicationError, ValidationFailed

from .models import VISIT_AGGREGATES

logger = logging.getLogger(__name__)
PATH = "/widget/events/"
_KEY_TTL = 10.0
_keys: dict[tuple[str, str], tuple[float, tuple[int, list[str]] | None]] = {}
_params: dict[str, tuple[float, list[str]]] = {}


def handles(scope: dict[str, Any]) -> bool:
    return scope.get("type") == "http" and scope.get("path") == PATH


async def _key(schema: str, public_key: Any) -> tuple[int, list[str]] | None:
    if not isinstance(public_key, str) or len(public_key) > 64:
        return None
    now = time.monotonic()
    hit = _keys.get((schema, public_key))
    if hit and hit[0] > now:
        return hit[1]
    from psycopg import sql

    query = sql.SQL("SELECT id, allowed_origins FROM {} WHERE public_key = %(k)s AND enabled").format(
        adb.table(schema, "widget_widgetkey")
    )
    rows = await adb.fetchall(query, {"k": public_key})
    found = (rows[0][0], list(rows[0][1] or [])) if rows else None
    if len(_keys) > 10_000:
        _keys.clear()
    _keys[(schema, public_key)] = (now + _KEY_TTL, found)
    return found


async def _allowed_params(schema: str) -> list[str]:
    """The query parameters this tenant's page addresses keep (JourneySettings; cached 10 s)."""
    from psycopg import sql

    now = time.monotonic()
    hit = _params.get(schema)
    if hit and hit[0] > now:
        return hit[1]
    query = sql.SQL("SELECT allowed_query_params FROM {} ORDER BY id LIMIT 1").format(
        adb.table(schema, "journey_journeysettings")
    )
    rows = await adb.fetchall(query, {})
    found = list(rows[0][0] or []) if rows else []
    if len(_params) > 10_000:
        _params.clear()
    _params[schema] = (now + _KEY_TTL, found)
    return found


_conversion_names: dict[str, tuple[float, frozenset[str]]] = {}


async def _conversions(schema: str) -> frozenset[str]:
    """The event names that convert an invitation (the rules' `conversion_event`; cached 10 s)."""
    from psycopg import sql

    now = time.monotonic()
    hit = _conversion_names.get(schema)
    if hit and hit[0] > now:
        return hit[1]
    query = sql.SQL("SELECT DISTINCT conversion_event FROM {} WHERE conversion_event <> ''").format(
        adb.table(schema, "journey_engagementrule")
    )
    found = frozenset(row[0] for row in await adb.fetchall(query, {}))
    if len(_conversion_names) > 10_000:
        _conversion_names.clear()
    _conversion_names[schema] = (now + _KEY_TTL, found)
    return found


_CONVERT = """
UPDATE {invitation} i SET converted_at = now()
FROM {rule} r
WHERE i.rule_id = r.id AND i.visitor_id = %(visitor)s AND r.conversion_event = ANY(%(names)s::varchar[])
  AND i.converted_at IS NULL AND i.shown_at >= now() - interval '7 days'
"""


_INSERT = """
WITH RECURSIVE chain(id, merged_into_id, depth) AS (
    SELECT id, merged_into_id, 0 FROM {contact} WHERE id = %(contact)s
    UNION ALL
    SELECT c.id, c.merged_into_id, chain.depth + 1 FROM {contact} c JOIN chain ON c.id = chain.merged_into_id
    WHERE chain.depth < 20
), target AS (
    SELECT id FROM chain WHERE merged_into_id IS NULL LIMIT 1
), ins AS (
    INSERT INTO {webevent} (contact_id, visitor_id, session_id, kind, source, name, url, title, referrer,
                            properties, occurred_at, received_at)
    SELECT target.id, %(visitor)s, e.session_id, e.kind, 'widget', e.name, e.url, e.title, e.referrer,
           e.properties::jsonb, e.occurred_at, now()
    FROM target, unnest(%(sessions)s::varchar[], %(kinds)s::varchar[], %(names)s::varchar[], %(urls)s::varchar[],
                        %(titles)s::varchar[], %(referrers)s::varchar[], %(properties)s::text[],
                        %(ats)s::timestamptz[])
         AS e(session_id, kind, name, url, title, referrer, properties, occurred_at)
    RETURNING session_id, kind, name, properties, occurred_at
), visits AS (
    INSERT INTO {websession} AS v (contact_id, session_id, started_at, ended_at, pages, events, cart_value, cart_at)
    SELECT target.id, e.session_id, [aggregates]
    FROM target, ins AS e GROUP BY target.id, e.session_id
    ON CONFLICT (contact_id, session_id) DO UPDATE SET
        started_at = least(v.started_at, excluded.started_at),
        ended_at = greatest(v.ended_at, excluded.ended_at),
        pages = v.pages + excluded.pages,
        events = v.events + excluded.events,
        cart_value = CASE WHEN excluded.cart_at IS NOT NULL AND (v.cart_at IS NULL OR excluded.cart_at >= v.cart_at)
                          THEN excluded.cart_value ELSE v.cart_value END,
        cart_at = greatest(v.cart_at, excluded.cart_at)
    RETURNING 1
)
SELECT target.id, (SELECT count(*) FROM ins),
       ARRAY(SELECT i.id FROM {interaction} i WHERE i.contact_id = target.id AND i.status <> 'resolved' LIMIT 20)
FROM target
"""

_PAGE_TIME = """
UPDATE {webevent} SET properties = properties || jsonb_build_object('seconds', %(seconds)s::int)
WHERE id = (
    SELECT w.id FROM {webevent} w
    WHERE w.contact_id IN (
        WITH RECURSIVE merged(id) AS (
            SELECT %(contact)s::bigint
            UNION ALL
            SELECT c.id FROM {contact} c JOIN merged ON c.merged_into_id = merged.id
        ) SELECT id FROM merged
    )
    AND w.session_id = %(session)s AND w.kind = 'page' AND w.properties ->> 'view' = %(view)s
    ORDER BY w.occurred_at DESC LIMIT 1
)
"""


@functools.lru_cache(maxsize=4096)
def _queries(schema: str) -> tuple[bytes, bytes, bytes]:
    from psycopg import sql

    names = {
        "contact": adb.table(schema, "inbox_contact"),
        "webevent": adb.table(schema, "journey_webevent"),
        "interaction": adb.table(schema, "inbox_interaction"),
        "websession": adb.table(schema, "journey_websession"),
    }
    return (
        sql.SQL(_INSERT.replace("[aggregates]", VISIT_AGGREGATES)).format(**names).as_bytes(),
        sql.SQL(_PAGE_TIME).format(contact=names["contact"], webevent=names["webevent"]).as_bytes(),
        sql.SQL(_CONVERT)
        .format(invitation=adb.table(schema, "journey_invitation"), rule=adb.table(schema, "journey_engagementrule"))
        .as_bytes(),
    )


async def record(schema: str, contact_id: int, visitor_id: str, events: list[dict[str, Any]]) -> None:
    from apps.core.events import asend_events
    from apps.inbox.actions import agents_group

    insert, page_time, convert = _queries(schema)
    rows = [e for e in events if e["type"] != "page_time"]
    params = {
        "contact": contact_id,
        "visitor": visitor_id[:64],
        "sessions": [e["session"] for e in rows],
        "kinds": ["page" if e["type"] == "page" else "event" for e in rows],
        "names": [e["name"] for e in rows],
        "urls": [e["url"] for e in rows],
        "titles": [e["title"] for e in rows],
        "referrers": [e["referrer"] for e in rows],
        "properties": [json.dumps(e["properties"], ensure_ascii=False) for e in rows],
        "ats": [e["at"] for e in rows],
    }
    found = await adb.fetchone(insert, params)
    if found is None:
        raise ValidationFailed(_("This visitor is not known here."), code="unknown_visitor")
    target, _count, open_ids = found
    for e in events:
        if e["type"] == "page_time":
            await adb.execute(
                page_time, {"contact": target, "session": e["session"], "view": e["view"], "seconds": e["seconds"]}
            )
    converting = await _conversions(schema) if rows else frozenset()
    names = sorted({e["name"] for e in rows if e["type"] == "event"} & converting)
    if names:  # the site reports an order: the invitations shown to this visitor this week converted
        await adb.execute(convert, {"visitor": visitor_id[:64], "names": names})
    if rows and open_ids:
        groups = [agents_group(schema, pk) for pk in open_ids]
        await asend_events(schema, [({"type": "journey.updated", "contact_id": target}, groups)])


async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
    from apps.core.jsonsafety import loads
    from apps.core.ratelimit import acheck_rate
    from apps.widget.identity import read_visitor_token
    from apps.widget.origins import OriginInvalid, normalise_origin

    from .actions import MAX_BATCH_BYTES, check_browser_batch

    origin = scope_header(scope, b"origin")
    status, body, retry_after = 204, b"", None
    try:
        if scope.get("method") != "POST":
            raise ApplicationError(_("Use POST."), code="method_not_allowed", status=405)
        raw = await read_body(receive, MAX_BATCH_BYTES)
        if raw is None:
            raise ValidationFailed(_("A batch may hold at most 64 KB."), code="too_large", status=413)
        payload = loads(raw)
        if not isinstance(payload, dict):
            raise ValidationFailed(_("Send a JSON object."))
        schema = await schema_for_host(scope_header(scope, b"host"))
        if schema is None:
            raise ApplicationError(_("No contact center here."), code="not_found", status=404)
        key = await _key(schema, payload.get("key"))
        try:
            allowed = key is not None and normalise_origin(origin) in key[1]
        except OriginInvalid:
            allowed = False
        if key is None or not allowed:
            # The same answer for an unknown key and a page that may not use it.
            raise ApplicationError(_("This site may not record events here."), code="origin_not_allowed", status=403)
        visitor = read_visitor_token(payload.get("visitor"), schema, key[0])
        if visitor is None:
            raise ValidationFailed(_("The visitor token is missing or expired."), code="unknown_visitor")
        await acheck_rate(schema, "webevents", str(visitor["v"]), settings.WEB_EVENT_BATCHES_PER_MINUTE, 60)
        allowed_params = await _allowed_params(schema)
        events = check_browser_batch(payload.get("events"), allowed_params=allowed_params)
        await record(schema, int(visitor["c"]), str(visitor["v"]), events)
    except ApplicationError as exc:
        status = exc.status
        body = json.dumps({"error": exc.as_dict()}).encode()
        retry_after = getattr(exc, "retry_after", None)
    except Exception:  # the database or Redis is away: the page may send again later
        logger.exception("Could not record web events")
        status, retry_after = 503, 5
        body = json.dumps(
            {"error": {"code": "unavailable", "message": _("Please try again later."), "fields": {}}}
        ).encode()
    headers = [(b"cache-control", b"no-store")]
    if origin:
        headers += [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
