"""Forecast (issue 15): on synthetic seasonal data (weekday x time of day, a mild trend, Poisson noise)
the model's error stays small and holidays are left out of the history and closed in the forecast; the
API reads the record, reports its accuracy on the held-out week and lays the planners' overrides on it."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.inbox.models import Interaction, Segment
from apps.routing.models import Queue
from apps.wfm.forecast import model, wape
from tests.conftest import PASSWORD, TenantInfo

UTCZ = ZoneInfo("UTC")


def shape(day: date, slot: int) -> float:
    """Contacts expected in a 30-minute slot: busy weekdays, quiet weekends, a peak late morning."""
    hour = slot / 2
    daily = 0.0 if not 8 <= hour < 20 else math.sin(math.pi * (hour - 8) / 12)
    return (12 if day.weekday() < 5 else 4) * daily


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_history(queue: Queue, first: date, *, weeks: int, scale: float, seed: int) -> None:
    """`weeks` of answered chats before `first` (UTC), `scale` x `shape`, each handled in 240 s."""
    rng = random.Random(seed)
    interactions, segments = [], []
    for back in range(1, weeks * 7 + 1):
        day = first - timedelta(days=back)
        for slot in range(48):
            for _ in range(poisson(rng, shape(day, slot) * scale)):
                minute = 30 * slot + rng.randrange(30)
                at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
                interactions.append(Interaction(channel="chat", queue=queue, created_at=at))
    Interaction.objects.bulk_create(interactions)
    for i in interactions:
        segments.append(Segment(interaction=i, kind="queue", started_at=i.created_at,
                                ended_at=i.created_at + timedelta(seconds=20), outcome="answered",
                                channel="chat", queue=queue, data={}))  # fmt: skip
        segments.append(Segment(interaction=i, kind="handling", started_at=i.created_at + timedelta(seconds=20),
                                ended_at=i.created_at + timedelta(seconds=260), outcome="completed", channel="chat",
                                queue=queue, data={"talk_seconds": 240, "hold_seconds": 0}))  # fmt: skip
    Segment.objects.bulk_create(segments)


def test_the_model_on_seasonal_data() -> None:
    rng = random.Random(15)
    first = date(2026, 11, 2)  # a Monday
    seen: dict[datetime, tuple[int, int, float]] = {}
    holiday = first - timedelta(days=10)  # a Friday in the history, closed
    for back in range(1, 9 * 7 + 1):
        day = first - timedelta(days=back)
        growth = 1 + 0.01 * (63 - back) / 7  # +1 % a week
        for slot in range(48):
            n = 0 if day == holiday else poisson(rng, shape(day, slot) * growth)
            if n:
                at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=30 * slot)
                seen[at] = (n, n, n * 300.0)
    closed = first + timedelta(days=2)
    intervals = model(seen, first, 7, 30, UTCZ, {holiday: 0.0, closed: 0.0})
    truth = [shape(i.start.date(), (i.start.hour * 60 + i.start.minute) // 30) * 1.09 for i in intervals]
    truth = [0.0 if i.start.date() == closed else t for i, t in zip(intervals, truth, strict=True)]
    error = wape(truth, [i.volume for i in intervals])
    # Against the expected counts: what is left is mostly the noise of ~8 weeks of a small queue; last
    # week's same slot (the naive forecast) errs far more.
    naive = [float(seen.get(i.start - timedelta(weeks=1), (0, 0, 0.0))[0]) for i in intervals]
    naive = [0.0 if i.start.date() == closed else n for i, n in zip(intervals, naive, strict=True)]
    naive_error = wape(truth, naive)
    assert error is not None and naive_error is not None
    assert error < 15 and error < 0.6 * naive_error, (error, naive_error)
    assert all(i.volume == 0 for i in intervals if i.start.date() == closed)
    # The closed Friday of the history did not drag Fridays down.
    friday = [i.volume for i in intervals if i.start.date() == first + timedelta(days=4)]
    monday = [i.volume for i in intervals if i.start.date() == first]
    assert abs(sum(friday) - sum(monday)) / sum(monday) < 0.15
    assert {i.aht_seconds for i in intervals if i.volume} == {300.0}


def test_the_forecast_api(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    first = datetime.now(UTC).date() + timedelta(days=1)
    seed_history(queue, first, weeks=9, scale=0.5, seed=3)
    connection.set_schema_to_public()
    client = Client(HTTP_HOST=tenant_a.host)
    assert (
        client.post("/login/", {"username": f"sue@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    )

    bad = client.get("/api/v1/wfm/forecast", {"queue": "x", "days": 90, "interval_minutes": 20})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"queue", "days", "interval_minutes"}
    got = client.get("/api/v1/wfm/forecast", {"queue": queue.pk, "from": first.isoformat(), "days": 7}).json()
    assert len(got["intervals"]) == 7 * 48
    # Against the held-out week's own counts: a small queue's Poisson noise alone is ~40 %; zeros would be 100.
    assert got["accuracy"]["wape_percent"] is not None and got["accuracy"]["wape_percent"] < 60
    busy = max(got["intervals"], key=lambda i: i["volume"])
    assert busy["aht_seconds"] == 240.0 and busy["volume"] > 1

    # A planner's own figure for one interval, and a closed day.
    def send(method: str, path: str, body: dict) -> Any:
        return getattr(client, method)(path, json.dumps(body), content_type="application/json")

    put = send(
        "put", "/api/v1/wfm/forecast", {"queue": queue.pk, "start": busy["start"], "interval_minutes": 30, "volume": 50}
    )
    assert put.status_code == 200
    holiday = send("post", "/api/v1/wfm/holidays", {"day": first.isoformat(), "name": "Founders' day", "factor": 0})
    assert holiday.status_code == 201
    again = client.get("/api/v1/wfm/forecast", {"queue": queue.pk, "from": first.isoformat(), "days": 7}).json()
    changed = next(i for i in again["intervals"] if i["start"] == busy["start"])
    assert (changed["volume"], changed["overridden"]) == (50.0, True)
    assert all(i["volume"] == 0 for i in again["intervals"][:48] if not i["overridden"])
    off_grid = {"queue": queue.pk, "start": "2026-12-07T09:10:00+00:00", "interval_minutes": 30, "volume": 5}
    bad_put = send("put", "/api/v1/wfm/forecast", off_grid)
    assert bad_put.status_code == 400 and "start" in bad_put.json()["error"]["fields"]
