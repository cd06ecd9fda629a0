"""The roll-up and the report API agree exactly with the metrics computed straight from the raw record
(issue 14), on randomised days of interactions: answers, abandons (short ones too), overflows,
callbacks, holds, blind and warm transfers to queues and agents, after-contact work, conference guests,
work still going on, and the day Europe's clocks go forward (a local day of 23 hours). Running the
roll-up twice counts once; a wrap-up that ends later lands in the interval its segment began in; a
rebuild gives the same rows."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import PresenceChange
from apps.inbox.models import Contact, Interaction, Segment
from apps.reporting.actions import do_rebuild, do_roll_up, do_save_reporting_settings, interval_of
from apps.reporting.models import WAIT_BOUNDS, DayStat, IntervalStat, ReportingSettings
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo, create_tenant

TZ = "Europe/Berlin"
DAYS = [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]  # clocks go forward on the 29th


def world(tenant: TenantInfo) -> tuple[list[Queue], list[int]]:
    connection.set_schema(tenant.schema_name)
    ReportingSettings.objects.create(time_zone=TZ)
    sales = Queue.objects.create(name="Sales", sla_seconds=20)
    billing = Queue.objects.create(name="Billing", sla_seconds=30)
    agents = []
    for n in range(3):
        user = User.objects.create_user(email=f"a{n}@{tenant.subdomain}.test", password=PASSWORD, role="agent")
        agents.append(ensure_agent_profile(user).pk)
    return [sales, billing], agents


def generate(queues: list[Queue], agents: list[int], rng: random.Random, n: int) -> None:
    """`n` interactions with their records, in whole seconds, spread over DAYS (local) and beyond."""
    tz = ZoneInfo(TZ)
    segments: list[Segment] = []
    contacts = [Contact.objects.create() for _ in range(60)]
    start = datetime(2026, 3, 27, 22, 0, tzinfo=tz).astimezone(UTC)
    span = int((datetime(2026, 3, 31, 2, 0, tzinfo=tz) - datetime(2026, 3, 27, 22, 0, tzinfo=tz)).total_seconds())
    for _ in range(n):
        channel = rng.choice(["chat", "voice", "email"])
        t = start + timedelta(seconds=rng.randrange(span))
        contact = rng.choice(contacts) if rng.random() < 0.9 else None  # some customers come back
        interaction = Interaction.objects.create(channel=channel, created_at=t, contact=contact)

        def seg(
            kind: str,
            at: datetime,
            end: datetime | None,
            outcome: str = "",
            interaction: Interaction = interaction,
            channel: str = channel,
            **kw: Any,
        ) -> None:
            segments.append(
                Segment(
                    interaction=interaction,
                    kind=kind,
                    started_at=at,
                    ended_at=end,
                    channel=channel,
                    outcome=outcome,
                    **kw,
                )
            )

        queue = rng.choice(queues)
        for _hop in range(3):
            wait = rng.choice([0, 3, 5, 8, 12, 20, 21, 29, 30, 44, 61, 200, 700])
            fate = rng.choices(["answered", "abandoned", "flowed_out", "callback", "waiting"], [6, 2, 1, 1, 1])[0]
            if fate == "waiting":
                seg("queue", t, None, queue_id=queue.pk)
                break
            end = t + timedelta(seconds=wait)
            if fate != "answered":
                outcome = {"abandoned": "abandoned", "flowed_out": "flowed_out", "callback": "callback_requested"}[fate]
                seg("queue", t, end, outcome, queue_id=queue.pk, data={"wait_seconds": wait})
                if fate == "flowed_out":
                    queue, t = queues[1 - queues.index(queue)], end
                    continue
                break
            agent = rng.choice(agents)
            seg("queue", t, end, "answered", queue_id=queue.pk, data={"wait_seconds": wait, "agent": agent})
            talk, hold = rng.randrange(30, 900), rng.choice([0, 0, 15, 40])
            done = end + timedelta(seconds=talk + hold)
            if rng.random() < 0.1:  # still talking: no figures yet
                seg("handling", end, None, queue_id=queue.pk, agent_id=agent)
                break
            how = rng.choices(["completed", "transferred"], [8, 2])[0]
            data = {"talk_seconds": talk, "hold_seconds": hold}
            seg("handling", end, done, how, queue_id=queue.pk, agent_id=agent, data=data)
            if hold:
                seg("hold", end + timedelta(seconds=5), end + timedelta(seconds=5 + hold), "resumed", agent_id=agent)
            if rng.random() < 0.15:  # a supervisor joined the call: a conference guest, not a handling
                guest = rng.choice(agents)
                seg(
                    "handling",
                    end + timedelta(seconds=2),
                    done,
                    "left",
                    queue_id=queue.pk,
                    agent_id=guest,
                    data={"talk_seconds": 10, "hold_seconds": 0, "role": "conference"},
                )
            if how == "transferred":
                warm = rng.random() < 0.5
                to_agent = rng.random() < 0.5
                target = rng.choice(queues)
                other = rng.choice(agents)
                seg(
                    "transfer",
                    done,
                    done,
                    "warm" if warm else "blind",
                    queue_id=target.pk,
                    agent_id=agent,
                    data={
                        "from_agent": agent,
                        "to_agent": other if to_agent else None,
                        "to_queue": None if to_agent else target.pk,
                    },
                )
                if to_agent:
                    talk2 = rng.randrange(20, 300)
                    seg(
                        "handling",
                        done,
                        done + timedelta(seconds=talk2),
                        "completed",
                        queue_id=target.pk,
                        agent_id=other,
                        data={"talk_seconds": talk2, "hold_seconds": 0},
                    )
                    break
                queue, t = target, done
                continue
            acw = rng.randrange(0, 120)
            if rng.random() < 0.1:
                seg("acw", done, None, agent_id=agent)  # wrap-up still going
            else:
                seg("acw", done, done + timedelta(seconds=acw), "completed", agent_id=agent)
            break
        if channel != "voice" and rng.random() < 0.7:  # an agent's first reply (chat, email)
            Interaction.objects.filter(pk=interaction.pk).update(
                first_response_at=interaction.created_at + timedelta(seconds=rng.randrange(0, 7200))
            )
            interaction.refresh_from_db()
        if rng.random() < 0.6:  # resolved, by someone, maybe rated later
            resolved = interaction.created_at + timedelta(seconds=rng.randrange(60, 20000))
            rated = rng.random() < 0.5
            Interaction.objects.filter(pk=interaction.pk).update(
                status="resolved",
                resolved_at=resolved,
                queue=rng.choice(queues),
                assigned_agent_id=rng.choice(agents) if rng.random() < 0.9 else None,
                csat_score=rng.randint(1, 5) if rated else None,
                csat_at=resolved + timedelta(seconds=rng.randrange(0, 10000)) if rated else None,
            )
    Segment.objects.bulk_create(segments)
    # Each agent's presence over the whole span: available, away, wrap-up or offline, back to back.
    changes = []
    for agent in agents:
        at = start - timedelta(hours=2)
        while at < start + timedelta(seconds=span + 7200):
            state = rng.choices(["available", "away", "wrap_up", "offline"], [6, 2, 1, 1])[0]
            end = at + timedelta(seconds=rng.randrange(600, 7200))
            changes.append(PresenceChange(agent_id=agent, state=state, started_at=at, ended_at=end, cause="agent"))
            at = end
    PresenceChange.objects.bulk_create(changes)


def expected(schema: str, settings: ReportingSettings, lo: datetime, hi: datetime, key: str) -> dict[Any, dict]:
    """Every metric per (local day, slice key), computed from the raw segments as the dictionary
    defines it, without the roll-up."""
    connection.set_schema(schema)
    tz = ZoneInfo(settings.time_zone)
    sla = dict(Queue.objects.values_list("pk", "sla_seconds"))
    acc: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    for s in Segment.objects.filter(started_at__gte=lo, started_at__lt=hi):
        day = s.started_at.astimezone(tz).date()
        wait = (s.ended_at - s.started_at).total_seconds() if s.ended_at else None
        if s.kind == "queue":
            who = {"queue": s.queue_id or 0, "agent": (s.data or {}).get("agent") or 0, "channel": s.channel}[key]
            a = acc[(day, who)]
            a["offered"] += 1
            if s.outcome == "answered":
                a["answered"] += 1
                a["answered_wait"] += wait
                a["max_wait"] = max(a["max_wait"], wait)
                a["within"] += wait <= sla[s.queue_id]
            elif s.outcome == "abandoned":
                a["abandoned"] += 1
                a["abandoned_wait"] += wait
                a["max_wait"] = max(a["max_wait"], wait)
                a["short"] += wait <= settings.short_abandon_seconds
            a["flowed_out"] += s.outcome == "flowed_out"
            a["callbacks_requested"] += s.outcome == "callback_requested"
            continue
        who = {"queue": s.queue_id or 0, "agent": s.agent_id or 0, "channel": s.channel}[key]
        counted = (
            (s.kind == "handling" and s.ended_at and s.data.get("role") != "conference")
            or (s.kind == "acw" and s.ended_at)
            or s.kind == "transfer"
        )
        if not counted:
            continue  # holds (inside their handling), work still going on, conference guests
        a = acc[(day, who)]
        if s.kind == "handling":
            a["handled"] += 1
            a["talk"] += s.data["talk_seconds"]
            a["hold"] += s.data["hold_seconds"]
            a["held"] += s.data["hold_seconds"] > 0
        elif s.kind == "acw":
            a["acw_count"] += 1
            a["acw"] += wait
        elif s.kind == "transfer":
            a["transfers"] += 1
            a["transfers_to_agent"] += s.data.get("to_agent") is not None
            a["transfers_to_queue"] += s.data.get("to_agent") is None
            a["transfers_warm"] += s.outcome == "warm"
            a["transfers_blind"] += s.outcome == "blind"

    # Interactions: resolutions (and first-contact resolution) where resolved, ratings where given.
    def who_of(i: Interaction) -> Any:
        return {"queue": i.queue_id or 0, "agent": i.assigned_agent_id or 0, "channel": i.channel}[key]

    everyone = list(Interaction.objects.all())
    for i in everyone:
        if i.resolved_at and lo <= i.resolved_at < hi:
            a = acc[(i.resolved_at.astimezone(tz).date(), who_of(i))]
            a["resolved"] += 1
            if i.contact_id:
                a["fcr_resolved"] += 1
                a["fcr_repeat"] += any(
                    j.contact_id == i.contact_id
                    and j.pk != i.pk
                    and i.resolved_at < j.created_at <= i.resolved_at + timedelta(days=7)
                    for j in everyone
                )
        if i.first_response_at and i.channel in ("chat", "email") and lo <= i.first_response_at < hi:
            a = acc[(i.first_response_at.astimezone(tz).date(), who_of(i))]
            a["first_responses"] += 1
            a["first_response"] += (i.first_response_at - i.created_at).total_seconds()
        if i.csat_at and i.csat_score and lo <= i.csat_at < hi:
            a = acc[(i.csat_at.astimezone(tz).date(), who_of(i))]
            a["csat_responses"] += 1
            a["csat_sum"] += i.csat_score
    if key == "agent":  # occupancy: time split across local days
        now = timezone.now()
        for agent_id in set(PresenceChange.objects.values_list("agent_id", flat=True)):
            rows = PresenceChange.objects.filter(agent_id=agent_id)
            present = merged([(p.started_at, p.ended_at or now) for p in rows if p.state in ("available", "wrap_up")])
            work = merged(
                [(p.started_at, p.ended_at or now) for p in rows if p.state == "wrap_up"]
                + [
                    (h.started_at, h.ended_at or now)
                    for h in Segment.objects.filter(kind="handling", agent_id=agent_id)
                    if h.data.get("role") != "conference"
                ]
            )
            busy = overlap(work, present)
            day = lo
            while day < hi:
                nxt = datetime.combine(day.astimezone(tz).date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
                window = [(day, nxt)]
                p_secs = seconds(overlap(present, window))
                if p_secs:
                    a = acc[(day.astimezone(tz).date(), agent_id)]
                    a["present"] += p_secs
                    a["busy"] += seconds(overlap(busy, window))
                day = nxt
    out = {}
    for k, a in acc.items():
        if key == "agent" and k[1] == 0:
            continue

        def r(x: float, y: float, pct: bool = False) -> float | None:
            return round(x / y * (100 if pct else 1), 2 if pct else 1) if y else None

        answered, abandoned = int(a["answered"]), int(a["abandoned"])
        out[k] = {
            "offered": int(a["offered"]),
            "answered": answered,
            "abandoned": abandoned,
            "short_abandoned": int(a["short"]),
            "flowed_out": int(a["flowed_out"]),
            "callbacks_requested": int(a["callbacks_requested"]),
            "service_level": r(a["within"], answered + abandoned - a["short"], True),
            "asa_seconds": r(a["answered_wait"], answered),
            "avg_wait_seconds": r(a["answered_wait"] + a["abandoned_wait"], answered + abandoned),
            "max_wait_seconds": round(a["max_wait"], 1) if answered + abandoned else None,
            "abandon_rate": r(abandoned, a["offered"], True),
            "handled": int(a["handled"]),
            "aht_seconds": r(a["talk"] + a["hold"] + a["acw"], a["handled"]),
            "avg_talk_seconds": r(a["talk"], a["handled"]),
            "avg_hold_seconds": r(a["hold"], a["held"]),
            "acw_seconds": r(a["acw"], a["acw_count"]),
            "transfers": int(a["transfers"]),
            "transfer_rate": r(a["transfers"], a["handled"], True),
            "transfers_to_queue": int(a["transfers_to_queue"]),
            "transfers_to_agent": int(a["transfers_to_agent"]),
            "transfers_warm": int(a["transfers_warm"]),
            "transfers_blind": int(a["transfers_blind"]),
            "resolved": int(a["resolved"]),
            "csat": round(a["csat_sum"] / a["csat_responses"], 2) if a["csat_responses"] else None,
            "csat_response_rate": r(a["csat_responses"], a["resolved"], True),
            "fcr_rate": r(a["fcr_resolved"] - a["fcr_repeat"], a["fcr_resolved"], True),
            "occupancy": r(a["busy"], a["present"], True),
            "first_responses": int(a["first_responses"]),
            "first_response_seconds": r(a["first_response"], a["first_responses"]),
            "fcr_provisional": False,  # March 2026 is long past
        }
    return out


def merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def overlap(x: list[tuple[datetime, datetime]], y: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out = []
    for a, b in x:
        for c, d in y:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return merged(out)


def seconds(spans: list[tuple[datetime, datetime]]) -> float:
    return sum((b - a).total_seconds() for a, b in spans)


def from_api(client: Client, slice_: str, key: str, **params: str) -> dict[Any, dict]:
    answer = client.get(f"/api/v1/reports/{slice_}", {"from": DAYS[0], "to": DAYS[-1], "interval": "day", **params})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    out = {}
    for row in body["results"]:
        day = datetime.fromisoformat(row["period"]).date()
        who = row[key]["id"] if key != "queue" else (row[key]["id"] or 0)
        out[(day, who)] = {k: v for k, v in row.items() if k not in ("period", key)}
    return out


def test_reports_agree_exactly_with_the_raw_record() -> None:
    tenant = create_tenant("rep")
    queues, agents = world(tenant)
    generate(queues, agents, random.Random(14), 700)
    written = do_roll_up()
    assert written > 0
    settings = ReportingSettings.current()
    tz = ZoneInfo(TZ)
    lo = datetime.combine(DAYS[0], datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(DAYS[-1] + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    assert hi.astimezone(UTC) - lo.astimezone(UTC) == timedelta(hours=71)  # three local days, one of 23 hours

    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
    for slice_, key in (("queues", "queue"), ("agents", "agent"), ("channels", "channel")):
        want = expected(tenant.schema_name, settings, lo, hi, key)
        # The data holds every case the definitions distinguish (or agreeing would prove little).
        for metric in (
            ()
            if key == "agent"
            else (
                "short_abandoned",
                "flowed_out",
                "callbacks_requested",
                "transfers_warm",
                "transfers_blind",
                "transfers_to_agent",
                "transfers_to_queue",
            )
        ):
            assert sum(v[metric] for v in want.values()) > 0, metric
        assert len({day for day, _who in want}) == 3
        assert sum(v["resolved"] for v in want.values()) > 0
        assert any(v["csat"] is not None for v in want.values())
        assert sum(v["first_responses"] for v in want.values()) > 0
        assert any(v["fcr_rate"] is not None and v["fcr_rate"] < 100 for v in want.values())  # repeats
        if key == "agent":
            occupied = [v["occupancy"] for v in want.values() if v["occupancy"] is not None]
            assert occupied and all(0 <= x <= 100 for x in occupied) and any(0 < x < 100 for x in occupied)
        got = from_api(client, slice_, key)
        assert set(got) == set(want), slice_
        for k in want:
            assert got[k] == want[k], (slice_, k)
    rows_before = sorted(
        IntervalStat.objects.values_list("interval_start", "queue_id", "agent_id", "channel", "offered", "handled")
    )
    # Twice counts once; a rebuild from the record gives the same rows.
    connection.set_schema(tenant.schema_name)
    do_roll_up()
    assert (
        sorted(
            IntervalStat.objects.values_list("interval_start", "queue_id", "agent_id", "channel", "offered", "handled")
        )
        == rows_before
    )
    do_rebuild()
    assert (
        sorted(
            IntervalStat.objects.values_list("interval_start", "queue_id", "agent_id", "channel", "offered", "handled")
        )
        == rows_before
    )

    # A service level of another threshold, applied to the past: answered within 60 s of (answered + abandoned - short).
    connection.set_schema(tenant.schema_name)
    total = client.get(
        "/api/v1/reports/queues",
        {"from": DAYS[0], "to": DAYS[-1], "interval": "total", "sl_seconds": 60, "queue": queues[0].pk},
    ).json()["results"][0]
    connection.set_schema(tenant.schema_name)
    qs = Segment.objects.filter(kind="queue", queue_id=queues[0].pk, started_at__gte=lo, started_at__lt=hi)
    waits = [((s.ended_at - s.started_at).total_seconds(), s.outcome) for s in qs if s.ended_at]
    within = sum(1 for w, o in waits if o == "answered" and w <= 60)
    base = sum(1 for _w, o in waits if o == "answered") + sum(1 for w, o in waits if o == "abandoned" and w > 5)
    assert total["service_level"] == round(within / base * 100, 2)

    # The local day of 23 hours has 23 hourly rows at most, each an hour of Berlin time.
    connection.set_schema(tenant.schema_name)
    hours = client.get(
        "/api/v1/reports/channels", {"from": "2026-03-29", "interval": "hour", "channel": "chat"}
    ).json()["results"]
    starts = [datetime.fromisoformat(r["period"]) for r in hours]
    assert len(starts) <= 23 and all(s.minute == 0 and s.astimezone(tz).date() == DAYS[1] for s in starts)
    assert not any(s.astimezone(tz).hour == 2 for s in starts)  # 02:00-03:00 did not exist that night


def test_late_changes_land_in_the_interval_their_segment_began() -> None:
    tenant = create_tenant("rep")
    queues, agents = world(tenant)
    # Real times: the roll-up finds what changed since its last run by when it began or ended.
    morning_bin = interval_of(timezone.now() - timedelta(hours=3))
    at = morning_bin + timedelta(minutes=7)
    i = Interaction.objects.create(channel="chat", created_at=at)
    Segment.objects.create(
        interaction=i,
        kind="queue",
        started_at=at,
        ended_at=at + timedelta(seconds=12),
        outcome="answered",
        channel="chat",
        queue_id=queues[0].pk,
        data={"agent": agents[0]},
    )
    handling = Segment.objects.create(
        interaction=i,
        kind="handling",
        started_at=at + timedelta(seconds=12),
        channel="chat",
        queue_id=queues[0].pk,
        agent_id=agents[0],
    )
    do_roll_up()
    # Still chatting: the queue's figures are in, the handling's not yet.
    assert IntervalStat.objects.get(queue_id=queues[0].pk).answered == 1
    assert IntervalStat.objects.get(agent_id=agents[0]).handled == 0
    # Three hours later the chat ends and the wrap-up follows: booked to the morning and to now.
    later = timezone.now()
    Segment.objects.filter(pk=handling.pk).update(
        ended_at=later, outcome="completed", data={"talk_seconds": 7788, "hold_seconds": 0}
    )
    Segment.objects.create(
        interaction=i,
        kind="acw",
        started_at=later,
        ended_at=later + timedelta(seconds=30),
        outcome="completed",
        channel="chat",
        agent_id=agents[0],
    )
    do_roll_up()
    # The answer and the handling are the same agent's, queue's and channel's: one row.
    morning = IntervalStat.objects.get(agent_id=agents[0], interval_start=morning_bin)
    assert (morning.offered, morning.answered, morning.handled, morning.talk_sum) == (1, 1, 1, 7788)
    wrap = IntervalStat.objects.get(agent_id=agents[0], interval_start=interval_of(later))
    assert (wrap.acw_count, wrap.acw_sum) == (1, 30)
    queue_row = morning
    queue_row.refresh_from_db()
    assert (queue_row.answered, queue_row.answered_within_sla, list(queue_row.answered_within)) == (
        1,
        1,
        [0, 0, 1, *[1] * (len(WAIT_BOUNDS) - 3)],
    )


def test_the_daily_roll_up_gives_the_same_figures_as_the_intervals_and_follows_the_zone() -> None:
    """Reports over whole local days read the daily roll-up (a row per day, not 96); ranges that start or
    end inside a day, other intervals and queue-by-agent questions read the 15-minute rows. Either way
    the figures are the same, and a new time zone rebuilds the days in it."""
    tenant = create_tenant("days")
    queues, agents = world(tenant)
    generate(queues, agents, random.Random(7), 300)
    do_roll_up()
    assert ReportingSettings.current().days_time_zone == TZ
    assert DayStat.objects.filter(grain="q").exists() and DayStat.objects.filter(grain="a").exists()
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
    shapes: list[tuple[str, dict[str, Any]]] = []
    for slice_ in ("queues", "agents", "channels"):
        for interval in ("day", "week", "month", "total"):
            shapes.append((slice_, {"from": "2026-03-27", "to": "2026-03-31", "interval": interval}))
        # a range that starts and ends inside a day: its ends come from the intervals
        shapes.append(
            (slice_, {"from": "2026-03-28T06:15:00+01:00", "to": "2026-03-30T13:45:00+02:00", "interval": "day"})
        )
        shapes.append((slice_, {"from": "2026-03-28", "to": "2026-03-30", "interval": "total", "channel": "chat"}))
    shapes.append(("agents", {"from": "2026-03-28", "to": "2026-03-30", "interval": "total", "queue": queues[0].pk}))
    shapes.append(("queues", {"from": "2026-03-28", "to": "2026-03-30", "interval": "day", "agent": agents[0]}))

    def answers() -> list[Any]:
        out = []
        for slice_, params in shapes:
            connection.set_schema(tenant.schema_name)
            response = client.get(f"/api/v1/reports/{slice_}", params)
            assert response.status_code == 200, response.content
            out.append(response.json()["results"])
        return out

    from_days = answers()
    assert any(rows for rows in from_days) and sum(len(rows) for rows in from_days) > 50
    connection.set_schema(tenant.schema_name)
    ReportingSettings.objects.update(days_time_zone="")  # as if never kept: every figure from the intervals
    assert answers() == from_days

    # Another zone: until the next roll-up the reports read the intervals; then the days are Shanghai's.
    connection.set_schema(tenant.schema_name)
    owner = User.objects.get(email=tenant.email)
    do_roll_up()
    do_save_reporting_settings(owner, time_zone="Asia/Shanghai")
    connection.set_schema(tenant.schema_name)
    from_intervals = answers()
    connection.set_schema(tenant.schema_name)
    do_roll_up()
    settings = ReportingSettings.current()
    assert settings.days_time_zone == "Asia/Shanghai"
    connection.set_schema(tenant.schema_name)
    first = DayStat.objects.filter(grain="q").order_by("day").first()
    assert first is not None and first.day == min(
        i.astimezone(ZoneInfo("Asia/Shanghai")).date()
        for i in IntervalStat.objects.values_list("interval_start", flat=True)
    )
    assert answers() == from_intervals


def test_a_report_is_paged_by_its_keys_and_a_file_holds_every_row(monkeypatch: Any) -> None:
    """JSON pages hold whole keys (an agent with all their days) up to a number of rows; the pages
    together are the report; CSV holds every row at once; a page past the last says how many there are."""
    from apps.reporting import selectors

    tenant = create_tenant("pages")
    queues, agents = world(tenant)
    generate(queues, agents, random.Random(3), 200)
    do_roll_up()
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
    params = {"from": "2026-03-28", "to": "2026-03-30", "interval": "day"}
    whole = client.get("/api/v1/reports/agents", params).json()
    assert whole["pages"] == 1 and whole["next"] is None and len({r["agent"]["id"] for r in whole["results"]}) == 3

    monkeypatch.setattr(selectors, "ROWS_PER_PAGE", 4)  # 4 periods of a day at most: one agent a page
    first = client.get("/api/v1/reports/agents", params).json()
    assert first["pages"] == 3 and first["previous"] is None and "page=2" in first["next"]
    rows = list(first["results"])
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
        assert len({r["agent"]["id"] for r in page["results"]}) == 1

    def order(r: dict[str, Any]) -> tuple[int, str]:
        return r["agent"]["id"], r["period"]

    assert sorted(rows, key=order) == sorted(whole["results"], key=order)
    past = client.get("/api/v1/reports/agents", {**params, "page": 4})
    assert past.status_code == 400 and past.json()["error"]["message"] == "page: 1 to 3."
    assert client.get("/api/v1/reports/agents", {**params, "page": "x"}).status_code == 400
    csv_rows = client.get("/api/v1/reports/agents", {**params, "format": "csv"}).content.decode().splitlines()
    assert len(csv_rows) == 1 + len(whole["results"])
