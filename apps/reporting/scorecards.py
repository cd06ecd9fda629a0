"""Agent scorecards: an agent's figures for a week or a month against their team's targets, the trend
over the last periods, and their rank in the team. Built from the same reports (`selectors.report`,
the metrics dictionary), so a scorecard's number is the report's number.

Who sees whose: an agent their own; a supervisor the agents of their teams (and their own); owners and
admins everyone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.models import AgentProfile, Team
from apps.core.errors import NotFound, ValidationFailed

from .metrics import BY_NAME, SCHEDULE_METRICS, Metric
from .models import ReportingSettings, TeamTarget
from .selectors import ReportQuery, report

# The scorecard's metrics, and whether more is better.
SCORECARD: dict[str, bool] = {
    "handled": True,
    "aht_seconds": False,
    "csat": True,
    "fcr_rate": True,
    "transfer_rate": False,
    "occupancy": True,
    "qa_score": True,
    "adherence": True,
    "conformance": True,
}
# Figures the reports do not have, given by the apps that keep them (the `scorecard_figures` hook).
OTHER_METRICS = {
    "qa_score": Metric(
        "qa_score",
        pgettext_lazy("metric", "Quality score"),
        "score",
        gettext_lazy(
            "The average score (0-100) of the agent's evaluations submitted in the period, a disputed one with "
            "its reviewed score."
        ),
    ),
    **{m.name: m for m in SCHEDULE_METRICS},
}


def scorecard_metric(name: str) -> Metric:
    return OTHER_METRICS.get(name) or BY_NAME[name]


def _other_figures(agent_ids: list[int], start: datetime, end: datetime) -> dict[str, dict[int, Any]]:
    from apps.core.hooks import run_hooks

    out: dict[str, dict[int, Any]] = {}
    for found in run_hooks("scorecard_figures", agent_ids=agent_ids, start=start, end=end):
        out.update(found)
    return out


PERIODS = ("week", "month")
TREND = 6  # this period and the five before


def visible_agents(user: User) -> list[AgentProfile]:
    """The agents whose scorecards `user` may read."""
    profiles = AgentProfile.objects.select_related("user").filter(user__is_active=True)
    if user.role in {"owner", "admin"}:
        return list(profiles.order_by("user__full_name", "pk"))
    own = AgentProfile.objects.filter(user=user).first()
    if own is None:
        return []
    if user.role == "supervisor":
        teams = list(own.teams.values_list("pk", flat=True))
        return list(
            profiles.filter(pk__in=[own.pk, *AgentProfile.objects.filter(teams__in=teams).values_list("pk", flat=True)])
            .distinct()
            .order_by("user__full_name", "pk")
        )
    return [own]


def readable_agent(user: User, agent_id: int) -> AgentProfile:
    for agent in visible_agents(user):
        if agent.pk == agent_id:
            return agent
    raise NotFound(_("No such agent."))


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _back(start: date, period: str, n: int) -> date:
    if period == "week":
        return start - timedelta(weeks=n)
    month = start.month - 1 - n
    return date(start.year + month // 12, month % 12 + 1, 1)


def scorecard(agent: AgentProfile, period: str, day: date) -> dict[str, Any]:
    if period not in PERIODS:
        raise ValidationFailed(_("period: week or month."), fields={"period": [_("Week or month.")]})
    settings = ReportingSettings.current()
    tz = ZoneInfo(settings.time_zone)
    current = _period_start(day, period)
    first = _back(current, period, TREND - 1)
    following = _back(current, period, -1)
    q = ReportQuery(
        slice="agents",
        start=datetime.combine(first, time(0), tzinfo=tz),
        end=datetime.combine(following, time(0), tzinfo=tz),
        interval=period,
        time_zone=settings.time_zone,
        agents=(agent.pk,),
        days_time_zone=settings.days_time_zone,
    )
    by_period = {row["period"][:10]: row for row in report(q, settings)}
    trend: list[dict[str, Any]] = []
    start = first
    while start < following:
        row = dict(by_period.get(start.isoformat(), {}))
        nxt = _back(start, period, -1)
        span = (datetime.combine(start, time(0), tzinfo=tz), datetime.combine(nxt, time(0), tzinfo=tz))
        for metric, by_agent in _other_figures([agent.pk], *span).items():
            row[metric] = by_agent.get(agent.pk)
        trend.append({"period": start.isoformat(), **{m: row.get(m) for m in SCORECARD}})
        start = nxt
    now: dict[str, Any] = trend[-1]
    teams = list(agent.teams.order_by("name"))
    targets: dict[str, float] = {}
    for t in TeamTarget.objects.filter(team__in=teams).select_related("team").order_by("team__name"):
        targets.setdefault(t.metric, t.target)
    # Rank in the team(s), this period: 1 is the best; agents without a figure are not ranked.
    mates = list(AgentProfile.objects.filter(teams__in=teams).values_list("pk", flat=True).distinct()) or [agent.pk]
    this = replace(q, start=datetime.combine(current, time(0), tzinfo=tz), interval="total", agents=tuple(mates))
    team_rows: dict[int, dict[str, Any]] = {r["agent"]["id"]: r for r in report(this, settings)}
    for metric, by_agent in _other_figures(list(mates), this.start, this.end).items():
        for mate, value in by_agent.items():
            team_rows.setdefault(mate, {})[metric] = value
    ranks: dict[str, dict[str, int] | None] = {}
    for metric, higher in SCORECARD.items():
        mine = team_rows.get(agent.pk, {}).get(metric)
        values = [r[metric] for r in team_rows.values() if r.get(metric) is not None]
        if mine is None:
            ranks[metric] = None
            continue
        better = sum(1 for v in values if (v > mine if higher else v < mine))
        ranks[metric] = {"rank": better + 1, "of": len(values)}
    metrics = []
    for metric, higher in SCORECARD.items():
        value, target = now.get(metric), targets.get(metric)
        met = None if value is None or target is None else (value >= target if higher else value <= target)
        metrics.append(
            {
                "name": metric,
                "label": str(scorecard_metric(metric).label),
                "unit": scorecard_metric(metric).unit,
                "value": value,
                "target": target,
                "met": met,
                "higher_is_better": higher,
                "rank": ranks[metric],
                "trend": [p[metric] for p in trend],
            }
        )
    return {
        "agent": {"id": agent.pk, "name": agent.user.display_name},
        "teams": [{"id": t.pk, "name": t.name} for t in teams],
        "period": period,
        "from": current.isoformat(),
        "periods": [p["period"] for p in trend],
        "metrics": metrics,
    }


def team_targets() -> list[dict[str, Any]]:
    found = {(t.team_id, t.metric): t.target for t in TeamTarget.objects.all()}
    return [
        {"id": team.pk, "name": team.name, "targets": {m: found.get((team.pk, m)) for m in SCORECARD}}
        for team in Team.objects.order_by("name")
    ]


def do_set_team_targets(actor: User | None, team_id: Any, targets: Any) -> dict[str, float | None]:
    """A team's targets: {metric: number or null (no target)}; owners and admins (the API checks)."""
    team = Team.objects.filter(pk=team_id).first() if isinstance(team_id, int) else None
    if team is None:
        raise NotFound(_("No such team."))
    if not isinstance(targets, dict):
        raise ValidationFailed(_("Send the targets as an object."), fields={"targets": [_("An object.")]})
    errors: dict[str, list[str]] = {}
    for metric, value in targets.items():
        if metric not in SCORECARD:
            errors[str(metric)[:40]] = [_("Not a scorecard metric.")]
        elif value is not None and (
            not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1_000_000
        ):
            errors[metric] = [_("A number from 0, or null.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    with transaction.atomic():
        for metric, value in targets.items():
            if value is None:
                TeamTarget.objects.filter(team=team, metric=metric).delete()
            else:
                TeamTarget.objects.update_or_create(team=team, metric=metric, defaults={"target": float(value)})
        record_audit(actor, "reporting.team_targets_set", team, **{k: v for k, v in targets.items()})
    return {m: t for m, t in TeamTarget.objects.filter(team=team).values_list("metric", "target")}
