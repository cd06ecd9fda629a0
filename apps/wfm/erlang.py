"""Staffing: how many agents an interval needs, by Erlang C (M/M/N: customers wait as long as it takes)
and Erlang A (M/M/N+M: customers abandon after an exponential patience of mean `patience_seconds`).

Erlang C, for offered load A = volume x AHT / interval (Erlangs) and N > A agents:
    B(N)  = Erlang B by the stable recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))
    P(wait) = C = N B / (N - A (1 - B))
    SL(T)  = 1 - C exp(-(N - A) T / AHT)          (answered within T / offered)
    ASA    = C AHT / (N - A)                       (every customer's mean wait)
    occupancy = A / N

Erlang A (Garnett, Mandelbaum & Reiman 2002), with mu = 1 / AHT and theta = 1 / patience: the birth-death
chain pi_k ~ A^k / k! for k <= N, pi_{N+j} = pi_N prod_{i=1..j} lambda / (N mu + i theta). An arrival finding
j customers waiting ahead (PASTA) moves up at rate N mu + i theta (i ahead), so its wait until an agent
takes it is V = -ln(U) / theta with U ~ Beta(a, j + 1), a = N mu / theta (the Laplace transform of the sum
of those exponentials is the Beta's moment E[U^(s/theta)]); it is served if its own patience outlasts V,
with probability E[e^{-theta V}] = a / (a + j + 1). Hence, exactly:
    P(served within T | j) = a / (a + j + 1) (1 - I_x(a + 1, j + 1)),  x = e^{-theta T},
    with I_x(p, n) = x^p sum_{k<n} (p)_k / k! (1 - x)^k for a whole n (a sum of positive terms);
    P(abandon | j) = (j + 1) / (a + j + 1);
    E[wait; served | j] = (1 / theta) a / (a + j + 1) sum_{k=0..j} 1 / (a + 1 + k).
SL = answered within T / offered (immediate answers count), abandon rate = abandoned / offered, ASA = the
mean wait of those answered, occupancy = the answered load / N.

Agents: `agents_raw` is the fewest agents whose service level reaches the target with occupancy at most
the maximum; `agents_scheduled` = ceil(agents_raw / (1 - shrinkage)) (time off the phones: breaks,
meetings, absence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 100_000
_TAIL = 1e-12  # the waiting states' sum stops when a term adds less than this share


@dataclass(frozen=True)
class Staffing:
    agents_raw: int
    agents_scheduled: int
    service_level: float  # 0..1, answered within the target time / offered
    occupancy: float  # 0..1
    probability_of_waiting: float  # 0..1
    asa_seconds: float
    abandon_rate: float | None  # 0..1, Erlang A only
    offered_erlangs: float


@dataclass(frozen=True)
class Figures:
    service_level: float
    occupancy: float
    probability_of_waiting: float
    asa_seconds: float
    abandon_rate: float | None


def erlang_b(load: float, agents: int) -> float:
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(load: float, agents: int, aht: float, target_seconds: float, b: float | None = None) -> Figures:
    """Erlang C figures for `agents` (> load), `b` the Erlang B of (load, agents) when the caller has it."""
    if agents <= load:
        return Figures(0.0, 1.0, 1.0, math.inf, None)
    b = erlang_b(load, agents) if b is None else b
    c = agents * b / (agents - load * (1 - b))
    return Figures(
        service_level=1 - c * math.exp(-(agents - load) * target_seconds / aht),
        occupancy=load / agents,
        probability_of_waiting=c,
        asa_seconds=c * aht / (agents - load),
        abandon_rate=None,
    )


def _log_add(a: float, b: float) -> float:
    """log(e^a + e^b) without overflow."""
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a)) if b > -math.inf else a


def erlang_a(
    load: float, agents: int, aht: float, target_seconds: float, patience: float, b: float | None = None
) -> Figures:
    """Erlang A figures for `agents` (>= 1; any load: impatient customers keep the queue finite). The
    incomplete Beta's terms are summed in logarithms (x^(a+1) underflows once N T / AHT passes ~745)."""
    rate = load / aht  # arrivals a second
    mu, theta = 1 / aht, 1 / patience
    a = agents * mu / theta
    b = erlang_b(load, agents) if b is None else b
    if load <= 0 or b < 1e-300:
        # Nobody waits (no load, or so many agents that a wait is less likely than a float can say).
        return Figures(1.0, min(1.0, load / agents), 0.0, 0.0, 0.0)
    below = 1 / b - 1  # sum of pi_k for k < N, relative to pi_N
    total = below
    waiting = answered_in_time = abandoned = served_wait = 0.0
    w = 1.0  # pi_{N+j} / pi_N (rescaled with every sum when it grows large)
    log_xp = -(a + 1) * theta * target_seconds  # log x^(a+1)
    log_1mx = math.log1p(-math.exp(-theta * target_seconds)) if target_seconds > 0 else -math.inf
    log_term, log_partial, harmonic = 0.0, -math.inf, 0.0
    j = 0
    while True:
        log_partial = _log_add(log_partial, log_term)  # log sum_{k<=j} (a+1)_k / k! (1-x)^k
        harmonic += 1 / (a + 1 + j)
        served = a / (a + j + 1)
        tail = math.exp(min(0.0, log_xp + log_partial))  # I_x(a+1, j+1), at most 1
        in_time = served * (1 - tail)
        waiting += w
        answered_in_time += w * in_time
        abandoned += w * (1 - served)
        served_wait += w * served * harmonic / theta
        total += w
        j += 1
        log_term += math.log((a + j) / j) + log_1mx
        w *= rate / (agents * mu + j * theta)
        if w > 1e200:  # an overloaded queue's states grow before they shrink: keep every sum in range
            w, total, below = w * 1e-200, total * 1e-200, below * 1e-200
            waiting, answered_in_time = waiting * 1e-200, answered_in_time * 1e-200
            abandoned, served_wait = abandoned * 1e-200, served_wait * 1e-200
        if w < _TAIL * total or j > 1_000_000:
            break
    p_wait = waiting / total
    p_abandon = abandoned / total
    p_served = 1 - p_abandon
    return Figures(
        service_level=(below + answered_in_time) / total,
        occupancy=min(1.0, load * p_served / agents),
        probability_of_waiting=p_wait,
        asa_seconds=(served_wait / total) / p_served if p_served > 0 else math.inf,
        abandon_rate=p_abandon,
    )


def staffing(
    *,
    volume: float,
    interval_minutes: float,
    aht_seconds: float,
    target_service_level: float,
    target_seconds: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    patience_seconds: float | None = None,
) -> Staffing:
    """The fewest agents that meet the target in one interval (Erlang A when a patience is given)."""
    load = volume * aht_seconds / (interval_minutes * 60)
    if volume == 0:
        return Staffing(0, 0, 1.0, 0.0, 0.0, 0.0, 0.0 if patience_seconds else None, 0.0)
    if not math.isfinite(load) or load > MAX_AGENTS:
        raise ValueError("more than 100,000 agents")
    # Erlang C needs more agents than Erlangs; with impatient callers the answered-in-time share is at
    # most N / A, so no fewer than target x A agents can meet it.
    lowest = math.floor(target_service_level * load) if patience_seconds else math.floor(load) + 1
    agents = max(1, lowest)
    b = erlang_b(load, agents)
    while True:
        if patience_seconds:
            figures = erlang_a(load, agents, aht_seconds, target_seconds, patience_seconds, b)
        else:
            figures = erlang_c(load, agents, aht_seconds, target_seconds, b)
        if figures.service_level >= target_service_level and figures.occupancy <= max_occupancy:
            break
        if agents >= MAX_AGENTS:
            raise ValueError("more than 100,000 agents")
        agents += 1
        b = load * b / (agents + load * b)  # Erlang B of one more agent
    return Staffing(
        agents_raw=agents,
        agents_scheduled=math.ceil(agents / (1 - shrinkage) - 1e-9),
        service_level=figures.service_level,
        occupancy=figures.occupancy,
        probability_of_waiting=figures.probability_of_waiting,
        asa_seconds=figures.asa_seconds,
        abandon_rate=figures.abandon_rate,
        offered_erlangs=load,
    )


def figures_for(
    *, load: float, agents: int, aht_seconds: float, target_seconds: float, patience_seconds: float | None
) -> Figures:
    """One staffing level's figures (the calculator's table of levels around the requirement)."""
    if patience_seconds:
        return erlang_a(load, agents, aht_seconds, target_seconds, patience_seconds)
    return erlang_c(load, agents, aht_seconds, target_seconds)
