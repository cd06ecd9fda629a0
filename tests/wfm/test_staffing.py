"""Staffing (issue 15): Erlang C against published values and an exact computation of the M/M/N chain in
rational numbers; Erlang A against a simulation of impatient customers (an independent computation of
what it claims in closed form); the API's answers and errors; the calculator page in Chromium."""

from __future__ import annotations

import heapq
import json
import math
import random
from collections import deque
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from apps.wfm.erlang import erlang_a, erlang_c, staffing
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page


def test_erlang_c_agrees_with_published_values() -> None:
    # Every textbook's M/M/3 with 2 Erlangs: P(wait) = 4/9.
    assert erlang_c(2, 3, 100, 20).probability_of_waiting == pytest.approx(4 / 9, abs=1e-12)
    # The call centre example (100 calls in 30 minutes, AHT 180 s: 10 Erlangs) with 11 agents:
    # P(wait) 68.21 %, service level 39 % in 20 s, ASA 122.8 s, occupancy 90.9 %.
    eleven = erlang_c(10, 11, 180, 20)
    assert round(eleven.probability_of_waiting * 100, 2) == 68.21
    assert round(eleven.service_level * 100) == 39
    assert round(eleven.asa_seconds, 1) == 122.8
    assert round(eleven.occupancy * 100, 1) == 90.9
    # ... which needs 14 agents for 80 % in 20 s (13 give 79.6 %), 20 with 30 % shrinkage.
    need = staffing(volume=100, interval_minutes=30, aht_seconds=180, target_service_level=0.8, target_seconds=20,
                    shrinkage=0.3)  # fmt: skip
    assert (need.agents_raw, need.agents_scheduled) == (14, 20)
    assert erlang_c(10, 13, 180, 20).service_level < 0.8 <= need.service_level


def exact_mmn(load: Fraction, agents: int, cap: int = 400) -> tuple[Fraction, Fraction]:
    """P(wait) and the mean number waiting of M/M/N from its stationary distribution, summed exactly."""
    weights = [Fraction(1)]
    for k in range(1, agents + cap):
        weights.append(weights[-1] * load / min(k, agents))
    total = sum(weights)
    waiting = sum(weights[agents:]) / total
    queue = sum((k - agents) * w for k, w in enumerate(weights) if k > agents) / total
    return waiting, queue


@pytest.mark.parametrize(("load", "agents"), [(Fraction(1, 2), 1), (Fraction(7, 2), 5), (Fraction(18), 21)])
def test_erlang_c_agrees_with_the_chain_summed_exactly(load: Fraction, agents: int) -> None:
    aht = 200.0
    p_wait, queue = exact_mmn(load, agents)
    got = erlang_c(float(load), agents, aht, 20)
    assert got.probability_of_waiting == pytest.approx(float(p_wait), rel=1e-9)
    # Little: ASA = mean number waiting / arrival rate.
    assert got.asa_seconds == pytest.approx(float(queue) / (float(load) / aht), rel=1e-9)


def simulate(
    load: float, agents: int, aht: float, patience: float, target: float, n: int, seed: int
) -> dict[str, float]:
    """M/M/N+M, first come first served, each caller hanging up after an exponential patience."""
    rng = random.Random(seed)
    rate = load / aht
    free, answered_in_time, abandoned, answered, wait_answered, arrivals = agents, 0, 0, 0, 0.0, 0
    next_arrival, ends, queue = rng.expovariate(rate), [], deque()

    def drop_impatient(now: float) -> None:
        nonlocal abandoned, queue
        kept = deque(c for c in queue if c[1] >= now)
        abandoned += len(queue) - len(kept)
        queue = kept

    while arrivals < n:
        if next_arrival < (ends[0] if ends else math.inf):
            now = next_arrival
            arrivals += 1
            drop_impatient(now)
            if free:
                free -= 1
                answered += 1
                answered_in_time += 1
                heapq.heappush(ends, now + rng.expovariate(1 / aht))
            else:
                queue.append((now, now + rng.expovariate(1 / patience)))
            next_arrival = now + rng.expovariate(rate)
        else:
            now = heapq.heappop(ends)
            free += 1
            drop_impatient(now)
            if queue:
                came, _deadline = queue.popleft()
                free -= 1
                answered += 1
                wait_answered += now - came
                answered_in_time += now - came <= target
                heapq.heappush(ends, now + rng.expovariate(1 / aht))
    return {
        "service_level": answered_in_time / arrivals,
        "abandon_rate": abandoned / arrivals,
        "asa_seconds": wait_answered / answered,
    }


@pytest.mark.parametrize(("load", "agents", "patience"), [(10.0, 11, 60.0), (12.0, 10, 120.0)])
def test_erlang_a_agrees_with_a_simulation_of_impatient_callers(load: float, agents: int, patience: float) -> None:
    got = erlang_a(load, agents, 180, 20, patience)
    sim = simulate(load, agents, 180, patience, 20, n=150_000, seed=15)
    assert got.service_level == pytest.approx(sim["service_level"], abs=0.012)
    assert got.abandon_rate == pytest.approx(sim["abandon_rate"], abs=0.01)
    assert got.asa_seconds == pytest.approx(sim["asa_seconds"], rel=0.08)
    # Overloaded (12 Erlangs on 10 agents) Erlang C has no answer; Erlang A does (many hang up).
    if load > agents:
        assert erlang_c(load, agents, 180, 20).service_level == 0 and got.abandon_rate > 0.1


@pytest.mark.parametrize(("load", "agents", "aht", "target"), [(10, 12, 180, 20), (1900, 2000, 300, 120)])
def test_erlang_a_becomes_erlang_c_as_patience_grows(load: float, agents: int, aht: float, target: float) -> None:
    # The second: 2,000 agents, where x^(a+1) of the incomplete Beta is far below the smallest float.
    c, a = erlang_c(load, agents, aht, target), erlang_a(load, agents, aht, target, 1e9)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert a.probability_of_waiting == pytest.approx(c.probability_of_waiting, abs=1e-5)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-4)


def login(tenant: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email or tenant.email, "password": PASSWORD}).status_code == 302
    return client


def test_the_staffing_api(tenant_a: TenantInfo) -> None:
    client = login(tenant_a)

    def post(body: Any) -> Any:
        return client.post("/api/v1/wfm/staffing", json.dumps(body), content_type="application/json")

    base = {"interval_minutes": 30, "target_service_level": 80, "target_seconds": 20}
    one = post({**base, "volume": 100, "aht_seconds": 180, "shrinkage": 30})
    assert one.status_code == 200, one.content
    assert one.json() == {
        "agents_raw": 14,
        "agents_scheduled": 20,
        "service_level": 88.84,
        "occupancy": 71.43,
        "probability_of_waiting": 17.41,
        "asa_seconds": 7.8,
        "offered_erlangs": 10.0,
    }
    impatient = post({**base, "volume": 100, "aht_seconds": 180, "patience_seconds": 60}).json()
    assert impatient["agents_raw"] <= 14 and 0 < impatient["abandon_rate"] < 10
    capped = post({**base, "volume": 100, "aht_seconds": 180, "max_occupancy": 70}).json()
    assert capped["agents_raw"] == 15 and capped["occupancy"] <= 70
    day = post({**base, "intervals": [{"volume": v, "aht_seconds": 240} for v in range(0, 96)]})
    assert day.status_code == 200 and len(day.json()["results"]) == 96
    assert day.json()["results"][0]["agents_raw"] == 0
    nobody = post({**base, "volume": 0, "aht_seconds": 180, "patience_seconds": 60}).json()
    assert (nobody["agents_raw"], nobody["abandon_rate"]) == (0, 0.0)
    bad = post({"volume": -1, "aht_seconds": 0, "interval_minutes": 30, "target_service_level": 100})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"volume", "aht_seconds", "target_service_level", "target_seconds"}
    assert post({**base, "intervals": "many"}).status_code == 400
    # Work no team could do is refused at once (and never ties up the server).
    huge = post({**base, "volume": 1_000_000, "aht_seconds": 86_400, "interval_minutes": 1})
    assert huge.status_code == 400 and "100,000 agents" in huge.json()["error"]["message"]
    assert post({**base, "volume": 10**400, "aht_seconds": 180}).status_code == 400
    assert (
        "interval_minutes"
        in post({**base, "interval_minutes": 0.001, "volume": 1, "aht_seconds": 1}).json()["error"]["fields"]
    )
    assert post({**base, "intervals": [{"volume": "ten", "aht_seconds": 180}]}).json()["error"]["fields"] == {
        "intervals[0].volume": ["A number >= 0 and at most 1000000."]
    }
    assert post(["not", "an", "object"]).status_code == 400
    agent = tenant_a.owner.__class__.objects.create_user(
        email=f"agent@{tenant_a.subdomain}.test", password=PASSWORD, role="agent"
    )
    assert (
        login(tenant_a, agent.email).post("/api/v1/wfm/staffing", "{}", content_type="application/json").status_code
        == 403
    )


def test_the_staffing_calculator(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in_page(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Workforce").click()
    form = page.get_by_test_id("staffing-form")
    form.get_by_label("Contacts in the interval").fill("100")
    form.get_by_label("Interval (minutes)").fill("30")
    form.get_by_label("Average handle time (seconds)").fill("180")
    form.get_by_label("Maximum occupancy (%)").fill("100")
    form.get_by_label("Shrinkage (%)").fill("30")
    form.get_by_label("Mean patience (seconds, optional: Erlang A)").fill("")
    form.get_by_label("Shrinkage (%)").press("Enter")
    result = page.get_by_test_id("staffing-result")
    expect(result.locator('[data-metric="agents_scheduled"] .kpi-value')).to_have_text("20")
    expect(result.locator('[data-metric="agents_raw"] .kpi-value')).to_have_text("14")
    expect(result.locator('[data-metric="service_level"] .kpi-value')).to_have_text("88.84%")
    levels = page.get_by_test_id("staffing-levels")
    expect(levels.locator('tr[aria-current="true"] th')).to_have_text("14")
    expect(levels.locator('tr[data-agents="13"] td').first).to_have_text("79.6%")  # one fewer misses 80 %
    # With impatient callers (a minute on average), Erlang A: fewer agents, and how many hang up.
    page.get_by_label("Mean patience (seconds, optional: Erlang A)").fill("60")
    page.get_by_role("button", name="Calculate").click()
    expect(result.locator('[data-metric="abandon_rate"]')).to_be_visible()
    # A bad value is said beside its field.
    page.get_by_label("Average handle time (seconds)").fill("fast")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator('[data-field="aht_seconds"]')).to_have_text("A number > 0 and at most 86400.")
    page.screenshot(path="test-artifacts/wfm-staffing.png")
    page.context.close()
