"""The metrics dictionary: every metric reporting gives, defined once. The API's row keys, the
product's metrics page and docs/metrics.md come from here, and `derive` computes each one exactly as
its definition says, from the sums of the roll-up (`IntervalStat`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import WAIT_BOUNDS, ReportingSettings


@dataclass(frozen=True)
class Metric:
    name: str
    label: str | Promise
    unit: str  # count | seconds | percent | score
    definition: str | Promise


METRICS: tuple[Metric, ...] = (
    Metric(
        "offered",
        pgettext_lazy("metric", "Offered"),
        "count",
        _(
            "Times an interaction entered the queue (a transfer or an overflow into another queue is offered there "
            "too), booked to the interval in which it entered."
        ),
    ),
    Metric(
        "answered",
        pgettext_lazy("metric", "Answered"),
        "count",
        _("Offered interactions an agent accepted from the queue."),
    ),
    Metric(
        "abandoned",
        pgettext_lazy("metric", "Abandoned"),
        "count",
        _("Offered interactions the customer left while waiting in the queue, before any agent accepted."),
    ),
    Metric(
        "short_abandoned",
        pgettext_lazy("metric", "Short abandoned"),
        "count",
        _("Abandoned within the short-abandon threshold of entering the queue (a setting, 5 seconds by default)."),
    ),
    Metric(
        "flowed_out",
        pgettext_lazy("metric", "Flowed out"),
        "count",
        _("Offered interactions that overflowed to another queue."),
    ),
    Metric(
        "callbacks_requested",
        pgettext_lazy("metric", "Callbacks requested"),
        "count",
        _("Offered interactions whose wait ended with a callback offered (maximum wait or overflow)."),
    ),
    Metric(
        "service_level",
        pgettext_lazy("metric", "Service level"),
        "percent",
        _(
            "Answered within the queue's threshold, divided as the tenant's formula says; by default answered "
            "within the threshold / (answered + abandoned - short abandoned). A threshold of 5, 10, 15, 20, 25, "
            "30, 45, 60, 90, 120, 180, 240, 300 or 600 seconds can be applied to the past (sl_seconds)."
        ),
    ),
    Metric(
        "asa_seconds",
        pgettext_lazy("metric", "Average speed of answer"),
        "seconds",
        _("Total wait of answered interactions / answered: from entering the queue to an agent accepting."),
    ),
    Metric(
        "avg_wait_seconds",
        pgettext_lazy("metric", "Average wait"),
        "seconds",
        _("Total wait of answered and abandoned interactions / (answered + abandoned)."),
    ),
    Metric(
        "max_wait_seconds",
        pgettext_lazy("metric", "Longest wait"),
        "seconds",
        _("The longest wait of an answered or abandoned interaction."),
    ),
    Metric("abandon_rate", pgettext_lazy("metric", "Abandon rate"), "percent", _("Abandoned / offered.")),
    Metric(
        "handled",
        pgettext_lazy("metric", "Handled"),
        "count",
        _(
            "Handlings that ended: each agent who handled an interaction counts it once (an interaction "
            "transferred between two agents counts for both); guests in a conference call are not counted."
        ),
    ),
    Metric(
        "aht_seconds",
        pgettext_lazy("metric", "Average handle time"),
        "seconds",
        _("(Talk + hold + after-contact work) / handled."),
    ),
    Metric(
        "avg_talk_seconds",
        pgettext_lazy("metric", "Average talk time"),
        "seconds",
        _("Talk / handled (handling time less holds)."),
    ),
    Metric(
        "avg_hold_seconds",
        pgettext_lazy("metric", "Average hold"),
        "seconds",
        _("Hold time / handlings with at least one hold."),
    ),
    Metric(
        "acw_seconds",
        pgettext_lazy("metric", "Average after-contact work"),
        "seconds",
        _("Wrap-up time / wrap-ups that ended."),
    ),
    Metric(
        "transfers",
        pgettext_lazy("metric", "Transfers"),
        "count",
        _("Transfers made by agents (to a queue or to an agent)."),
    ),
    Metric("transfer_rate", pgettext_lazy("metric", "Transfer rate"), "percent", _("Transfers / handled.")),
    Metric("transfers_to_queue", pgettext_lazy("metric", "Transfers to a queue"), "count", _("Transfers to a queue.")),
    Metric(
        "transfers_to_agent", pgettext_lazy("metric", "Transfers to an agent"), "count", _("Transfers to one agent.")
    ),
    Metric(
        "transfers_warm",
        pgettext_lazy("metric", "Warm transfers"),
        "count",
        _("Transfers after a consultation (warm)."),
    ),
    Metric(
        "transfers_blind",
        pgettext_lazy("metric", "Blind transfers"),
        "count",
        _("Transfers without a consultation (blind)."),
    ),
)
METRICS = (
    *METRICS,
    Metric(
        "resolved",
        pgettext_lazy("metric", "Resolved"),
        "count",
        _("Interactions resolved, booked to the interval and the agent who had them when resolved."),
    ),
    Metric(
        "csat",
        pgettext_lazy("metric", "CSAT"),
        "score",
        _("The average of the customers' ratings (1 to 5), booked to the interval in which they rated."),
    ),
    Metric(
        "csat_response_rate",
        pgettext_lazy("metric", "CSAT response rate"),
        "percent",
        _("Ratings / resolved."),
    ),
    Metric(
        "fcr_rate",
        pgettext_lazy("metric", "First-contact resolution"),
        "percent",
        _(
            "Resolved interactions of a known customer who did not get in touch again (a new interaction, any "
            "channel) within 7 days of the resolution / resolved interactions of a known customer. Provisional "
            "(fcr_provisional) while the 7 days of a resolution in the range have not all passed."
        ),
    ),
)
METRICS = (
    *METRICS,
    Metric(
        "occupancy",
        pgettext_lazy("metric", "Occupancy"),
        "percent",
        _(
            "Time with at least one interaction being handled or in wrap-up / time available or in wrap-up (from "
            "the presence history), both within the period; time is split across the intervals it spans."
        ),
    ),
)
METRICS = (
    *METRICS,
    Metric(
        "first_responses",
        pgettext_lazy("metric", "First responses"),
        "count",
        _(
            "Chat and email interactions that got their first reply from an agent (private notes do not count), "
            "booked to the interval in which that reply was written, to the interaction's queue and agent."
        ),
    ),
    Metric(
        "first_response_seconds",
        pgettext_lazy("metric", "Average first response time"),
        "seconds",
        _("Total time from the start of the interaction to the first agent reply / first responses."),
    ),
)
BY_NAME = {m.name: m for m in METRICS}

# Kept by workforce management from the published schedule and the presence history (not from segments), and
# given to the scorecards through the `scorecard_figures` hook; defined here so the dictionary has them.
SCHEDULE_METRICS: tuple[Metric, ...] = (
    Metric(
        "adherence",
        pgettext_lazy("metric", "Adherence"),
        "percent",
        _(
            "1 - exceptions / scheduled time. Scheduled time is the time of the agent's published shifts; an "
            "exception is scheduled time in which the agent's presence did not match the activity: work expects "
            "Available or Wrap-up, a break, lunch, meeting or training expects Away or Offline (no presence "
            "recorded counts as Offline). Time still to come is not counted."
        ),
    ),
    Metric(
        "conformance",
        pgettext_lazy("metric", "Conformance"),
        "percent",
        _(
            "Worked / scheduled work time: the time the agent was Available or in Wrap-up in the period, inside "
            "the shifts or not, against the published shifts' time less their breaks, lunches, meetings and "
            "trainings. Over 100 % when the agent worked more than scheduled."
        ),
    ),
)

SUMMED = (
    "offered",
    "answered",
    "abandoned",
    "flowed_out",
    "callbacks_requested",
    "answered_within_sla",
    "answered_wait_sum",
    "abandoned_wait_sum",
    "handled",
    "talk_sum",
    "hold_sum",
    "held",
    "acw_count",
    "acw_sum",
    "transfers",
    "transfers_to_queue",
    "transfers_to_agent",
    "transfers_warm",
    "transfers_blind",
    "resolved",
    "csat_responses",
    "csat_sum",
    "fcr_resolved",
    "fcr_repeat",
    "present_seconds",
    "busy_seconds",
    "first_responses",
    "first_response_sum",
)
MAXED = ("answered_wait_max", "abandoned_wait_max")


def _ratio(a: float, b: float, *, percent: bool = False, places: int | None = None) -> float | None:
    if not b:
        return None
    value = a / b * (100 if percent else 1)
    return round(value, places if places is not None else (2 if percent else 1))


def derive(
    sums: dict[str, Any], settings: ReportingSettings, *, sl_seconds: int | None = None
) -> dict[str, float | int | None]:
    """Every metric of the dictionary from the sums of some roll-up rows (SUMMED summed, MAXED maxed,
    `answered_within` / `abandoned_within` summed element by element)."""
    answered_within = list(sums.get("answered_within") or [0] * len(WAIT_BOUNDS))
    abandoned_within = list(sums.get("abandoned_within") or [0] * len(WAIT_BOUNDS))
    short = abandoned_within[WAIT_BOUNDS.index(settings.short_abandon_seconds)]
    within = answered_within[WAIT_BOUNDS.index(sl_seconds)] if sl_seconds else sums["answered_within_sla"]
    answered, abandoned = sums["answered"], sums["abandoned"]
    formula = settings.service_level_formula
    if formula == ReportingSettings.Formula.ANSWERED:
        base = answered
    elif formula == ReportingSettings.Formula.ABANDONED:
        base = answered + abandoned
    else:
        base = answered + abandoned - short
    handled = sums["handled"]
    return {
        "offered": sums["offered"],
        "answered": answered,
        "abandoned": abandoned,
        "short_abandoned": short,
        "flowed_out": sums["flowed_out"],
        "callbacks_requested": sums["callbacks_requested"],
        "service_level": _ratio(within, base, percent=True),
        "asa_seconds": _ratio(sums["answered_wait_sum"], answered),
        "avg_wait_seconds": _ratio(sums["answered_wait_sum"] + sums["abandoned_wait_sum"], answered + abandoned),
        "max_wait_seconds": round(max(sums["answered_wait_max"], sums["abandoned_wait_max"]), 1)
        if answered + abandoned
        else None,
        "abandon_rate": _ratio(abandoned, sums["offered"], percent=True),
        "handled": handled,
        "aht_seconds": _ratio(sums["talk_sum"] + sums["hold_sum"] + sums["acw_sum"], handled),
        "avg_talk_seconds": _ratio(sums["talk_sum"], handled),
        "avg_hold_seconds": _ratio(sums["hold_sum"], sums["held"]),
        "acw_seconds": _ratio(sums["acw_sum"], sums["acw_count"]),
        "transfers": sums["transfers"],
        "transfer_rate": _ratio(sums["transfers"], handled, percent=True),
        "transfers_to_queue": sums["transfers_to_queue"],
        "transfers_to_agent": sums["transfers_to_agent"],
        "transfers_warm": sums["transfers_warm"],
        "transfers_blind": sums["transfers_blind"],
        "resolved": sums["resolved"],
        "csat": _ratio(sums["csat_sum"], sums["csat_responses"], places=2),
        "csat_response_rate": _ratio(sums["csat_responses"], sums["resolved"], percent=True),
        "fcr_rate": _ratio(sums["fcr_resolved"] - sums["fcr_repeat"], sums["fcr_resolved"], percent=True),
        "occupancy": _ratio(sums["busy_seconds"], sums["present_seconds"], percent=True),
        "first_responses": sums["first_responses"],
        "first_response_seconds": _ratio(sums["first_response_sum"], sums["first_responses"]),
    }


def shown(value: Any, unit: str) -> str:
    """A figure as pages and mail show it: 95.0%, 12.3 s, 7, or an en dash when there is none."""
    if value is None:
        return "\u2013"
    if unit == "percent":
        return f"{value}%"
    if unit == "seconds":
        return f"{value} s"
    return str(value)


def dictionary(metrics: tuple[Metric, ...] = METRICS) -> list[dict[str, str]]:
    return [{"name": m.name, "label": str(m.label), "unit": m.unit, "definition": str(m.definition)} for m in metrics]


def markdown() -> str:
    """docs/metrics.md, as the dictionary says it (a test keeps the file equal to this)."""
    from django.utils import translation

    lines = [
        "# Metrics dictionary",
        "",
        "Generated from `apps/reporting/metrics.py` (`.venv/bin/python manage.py metrics_doc > docs/metrics.md`);",
        "`tests/reporting/test_pages_browser.py` fails when this file and the code disagree. The same definitions",
        "are the product's page `/reports/metrics/` and `GET /api/v1/reports/metrics`.",
        "",
        "Every metric is computed from the interaction record (segments), booked to the 15-minute interval",
        "(UTC-aligned) in which its segment began, and summed into the tenant's local hours, days, weeks and",
        "months (`ReportingSettings.time_zone`; a day is a local day, 23 or 25 hours across a DST change).",
        "",
        "| name | metric | unit | definition |",
        "|---|---|---|---|",
    ]
    with translation.override("en"):
        for m in METRICS:
            lines.append(f"| `{m.name}` | {m.label} | {m.unit} | {m.definition} |")
        lines += [
            "",
            "## From the schedule",
            "",
            "Workforce management's figures, from the published schedules (`apps/wfm`) and the presence history,",
            "per agent and day or interval (`GET /api/v1/wfm/adherence`), and on the agents' scorecards.",
            "",
            "| name | metric | unit | definition |",
            "|---|---|---|---|",
        ]
        for m in SCHEDULE_METRICS:
            lines.append(f"| `{m.name}` | {m.label} | {m.unit} | {m.definition} |")
    return "\n".join(lines) + "\n"
