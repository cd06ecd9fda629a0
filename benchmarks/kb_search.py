"""Knowledge-base search benchmark (issue 18). `flock /tmp/bench.lock .venv/bin/python benchmarks/kb_search.py`

In a database of its own (`ccaas_bench_kb`, Redis db 14), re-created at every run: one tenant with
`--articles` published articles (default 100,000; half English, half Chinese, titles and text drawn
from a vocabulary of support topics), indexed as the product indexes them (`kb.actions.index_article`'s
terms, written in bulk). Then `--queries` searches through `kb.selectors.search` (what the API, the
widget and the help center call: the ranked full-text query, the title-trigram query for typos when
results are short, snippets), English and Chinese, some with typos. Reported: p50 / p95 per search.
Floors, same run: the bare database round trip (`SELECT 1`) and a bare GIN match of one term
(`SELECT id FROM kb_article WHERE search @@ ... LIMIT 10`, no ranking). Target: p95 < 50 ms."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import drop_database, pct, setup_env  # noqa: E402

EN_TOPICS = [
    "refund",
    "delivery",
    "address",
    "password",
    "invoice",
    "warranty",
    "return",
    "subscription",
    "coupon",
    "payment",
    "shipping",
    "account",
    "order",
    "cancel",
    "exchange",
    "battery",
    "screen",
    "charger",
]
EN_WORDS = [
    "how",
    "to",
    "change",
    "your",
    "the",
    "when",
    "will",
    "my",
    "arrive",
    "request",
    "update",
    "reset",
    "find",
    "days",
    "card",
    "store",
    "online",
    "within",
    "policy",
    "steps",
    "help",
    "contact",
    "team",
]
ZH_TOPICS = [
    "退款",
    "发货",
    "地址",
    "密码",
    "发票",
    "保修",
    "退货",
    "会员",
    "优惠券",
    "支付",
    "物流",
    "账户",
    "订单",
    "取消",
    "换货",
    "电池",
    "屏幕",
    "充电器",
]
ZH_WORDS = [
    "如何",
    "申请",
    "修改",
    "查询",
    "什么时候",
    "到账",
    "需要",
    "多久",
    "可以",
    "我的",
    "规则",
    "流程",
    "联系",
    "客服",
    "在线",
    "门店",
    "三天",
    "工作日",
]


def article(n: int, rng: random.Random) -> tuple[str, str, str]:
    if n % 2:
        topic = rng.choice(EN_TOPICS)
        title = f"{rng.choice(['How to', 'When will', 'Why', 'Can I'])} {rng.choice(EN_WORDS)} {topic} {n}"
        body = " ".join(rng.choice(EN_WORDS + EN_TOPICS) for _ in range(60))
        return title, f"<p>{body}</p>", "en"
    topic = rng.choice(ZH_TOPICS)
    title = f"{rng.choice(ZH_WORDS)}{topic}{rng.choice(ZH_WORDS)}{n}"
    body = "".join(rng.choice(ZH_WORDS + ZH_TOPICS) for _ in range(50))
    return title, f"<p>{body}。</p>", "zh-hans"


def fill(schema: str, count: int) -> float:
    import psycopg

    from apps.kb.text import cjk_terms, latin_text, plain_text, trigrams

    rng = random.Random(7)
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    started = time.perf_counter()
    row = (
        "(%s, %s, %s, 'published', gen_random_uuid(), now(), now(), now(), 0, 0, '', "
        "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('simple', %s), 'A') || "
        "setweight(to_tsvector('english', %s), 'B') || setweight(to_tsvector('simple', %s), 'B'), "
        "to_tsvector('english', %s) || to_tsvector('simple', %s), to_tsvector('simple', %s))"
    )
    cols = (
        "title, body, locale, status, translation_group, created_at, updated_at, published_at, helpful_yes, "
        "helpful_no, outdated_note, search, title_search, title_grams"
    )
    for start in range(0, count, 1000):
        params: list[str] = []
        rows = []
        for n in range(start, min(count, start + 1000)):
            title, body, locale = article(n, rng)
            text = plain_text(body)
            params += [
                title,
                body,
                locale,
                latin_text(title),
                " ".join(cjk_terms(title)),
                latin_text(text),
                " ".join(cjk_terms(text)),
                latin_text(title),
                " ".join(cjk_terms(title)),
                " ".join(trigrams(title)),
            ]
            rows.append(row)
        conn.execute(f'INSERT INTO "{schema}".kb_article ({cols}) VALUES ' + ", ".join(rows), params)
    # As autovacuum would: merge the GIN indexes' pending lists (fastupdate) and gather statistics.
    conn.execute(f'VACUUM ANALYZE "{schema}".kb_article')
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]
    drop_database("ccaas_bench_kb")
    setup_env("ccaas_bench_kb", 14)
    from django.core.management import call_command
    from django.db import connection

    from apps.kb.selectors import search
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="kbbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="KB bench", subdomain="kbbench", email="o@kb.test", password=None
    ).tenant
    fill_seconds = fill(tenant.schema_name, args.articles)
    connection.set_schema(tenant.schema_name)
    rng = random.Random(11)
    queries = []
    for n in range(args.queries):
        kind = n % 4
        if kind == 0:
            queries.append((f"how to {rng.choice(EN_TOPICS)}", "en"))
        elif kind == 1:
            word = rng.choice(EN_TOPICS)
            queries.append((word[:2] + word[3:], "en"))  # a typo: a letter dropped
        elif kind == 2:
            queries.append((rng.choice(ZH_TOPICS), "zh-hans"))
        else:
            queries.append((f"{rng.choice(ZH_WORDS)}{rng.choice(ZH_TOPICS)}", "zh-hans"))
    search("warm up", locale="en")
    search("退款", locale="zh-hans")
    trips, bare, times, empty = [], [], [], 0
    with connection.cursor() as cursor:
        for _ in range(300):
            t = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            trips.append(time.perf_counter() - t)
        for q, _locale in queries[:200]:
            t = time.perf_counter()
            cursor.execute(
                "SELECT id FROM kb_article WHERE search @@ plainto_tsquery('simple', %s) LIMIT 10", [q.split()[-1]]
            )
            cursor.fetchall()
            bare.append(time.perf_counter() - t)
    for q, locale in queries:
        t = time.perf_counter()
        found = search(q, locale=locale)
        times.append(time.perf_counter() - t)
        empty += not found
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "args": vars(args),
        "fill_seconds": round(fill_seconds, 1),
        "floor_round_trip_ms": {"p50": round(pct(trips, 50) * 1000, 3), "p95": round(pct(trips, 95) * 1000, 3)},
        "floor_bare_gin_match_ms": {"p50": round(pct(bare, 50) * 1000, 2), "p95": round(pct(bare, 95) * 1000, 2)},
        "search_ms": {
            "p50": round(pct(times, 50) * 1000, 2),
            "p95": round(pct(times, 95) * 1000, 2),
            "max": round(max(times) * 1000, 2),
        },
        "queries_without_result": empty,
        "ratio_p95_to_bare_gin_p95": round(pct(times, 95) / max(pct(bare, 95), 1e-6), 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
