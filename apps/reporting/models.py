"""Reporting's own rows: the tenant's reporting settings and the 15-minute roll-up of the interaction
record. Everything here is derived from `inbox.Segment` (and can be rebuilt from it); nothing is read
from message text or the live routing tables."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Wait-time buckets (seconds): for each, the roll-up keeps how many waits were at most that long, so a
# service level (or a short-abandon threshold) of any of these values can be computed for the past.
WAIT_BOUNDS: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600)
INTERVAL_MINUTES = 15
# First-contact resolution: a resolved interaction whose customer does not get in touch again within
# this many days of the resolution (until the window closes, the figure is provisional).
FCR_DAYS = 7


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(tz)s.") % {"tz": value}) from None


class ReportingSettings(models.Model):
    """The tenant's reporting settings (one row)."""

    class Formula(models.TextChoices):
        EXCLUDE_SHORT = "exclude_short", _("Answered within the threshold / (answered + abandoned - short abandoned)")
        ABANDONED = "abandoned", _("Answered within the threshold / (answered + abandoned)")
        ANSWERED = "answered", _("Answered within the threshold / answered")

    # Days, hours and weeks of reports are the business's own, in this zone (a day is a local day).
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    short_abandon_seconds = models.PositiveSmallIntegerField(
        _("short abandon (seconds)"),
        default=5,
        help_text=_("A customer who leaves the queue within this many seconds is a short abandon."),
    )
    service_level_formula = models.CharField(
        _("service level formula"), max_length=16, choices=Formula.choices, default=Formula.EXCLUDE_SHORT
    )
    # Everything the record holds up to here is in the roll-up (the next run starts a little before).
    rolled_up_to = models.DateTimeField(null=True, blank=True)
    # The zone the daily roll-up (`DayStat`) is kept in; another than `time_zone`: the next roll-up
    # rebuilds it (reports read the 15-minute intervals meanwhile).
    days_time_zone = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return "Reporting settings"

    @classmethod
    def current(cls) -> ReportingSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls()


class Figures(models.Model):
    """The summable figures of the record, kept per 15-minute interval (`IntervalStat`) and per local
    day (`DayStat`). `queue_id` / `agent_id` are 0 when there is none (no foreign key: the record
    outlives them)."""

    queue_id = models.IntegerField(default=0)
    agent_id = models.IntegerField(default=0)  # queue figures: the agent who answered
    channel = models.CharField(max_length=16)

    # queue segments
    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    flowed_out = models.IntegerField(default=0)
    callbacks_requested = models.IntegerField(default=0)
    answered_within_sla = models.IntegerField(default=0)  # within the queue's threshold when rolled up
    answered_wait_sum = models.FloatField(default=0)
    answered_wait_max = models.FloatField(default=0)
    abandoned_wait_sum = models.FloatField(default=0)
    abandoned_wait_max = models.FloatField(default=0)
    # [n answered (abandoned) after waiting at most WAIT_BOUNDS[i] seconds]
    answered_within = ArrayField(models.IntegerField(), default=list)
    abandoned_within = ArrayField(models.IntegerField(), default=list)
    # handling segments (conference guests excluded), their holds; after-contact work; transfers
    handled = models.IntegerField(default=0)
    talk_sum = models.FloatField(default=0)
    hold_sum = models.FloatField(default=0)
    held = models.IntegerField(default=0)
    acw_count = models.IntegerField(default=0)
    acw_sum = models.FloatField(default=0)
    transfers = models.IntegerField(default=0)
    transfers_to_queue = models.IntegerField(default=0)
    transfers_to_agent = models.IntegerField(default=0)
    transfers_warm = models.IntegerField(default=0)
    transfers_blind = models.IntegerField(default=0)
    # interactions: resolved (booked where resolved, to the agent who had it), ratings (where given),
    # first-contact resolution (resolved with a known customer; of those, contacted again within
    # FCR_DAYS after the resolution)
    resolved = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    fcr_resolved = models.IntegerField(default=0)
    fcr_repeat = models.IntegerField(default=0)
    # presence (rows with channel "" and queue 0, per agent): seconds available or in wrap-up, and of
    # those, seconds with at least one handling open or in wrap-up; split across the intervals they span
    present_seconds = models.FloatField(default=0)
    busy_seconds = models.FloatField(default=0)
    # first responses (chat, email): booked where the first agent reply was written, to its queue and
    # agent; the time from the interaction's start to that reply
    first_responses = models.IntegerField(default=0)
    first_response_sum = models.FloatField(default=0)

    class Meta:
        abstract = True


class IntervalStat(Figures):
    """What happened in one 15-minute interval (UTC-aligned; every time zone's hours and days are made
    of whole intervals), for one queue, agent and channel. Each segment is booked to the interval in
    which it started (its end and figures are added when it ends: the interval is computed again)."""

    id = models.BigAutoField(primary_key=True)
    interval_start = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["interval_start", "queue_id", "agent_id", "channel"], name="intervalstat_once"
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["queue_id", "interval_start"], name="intervalstat_queue_time"),
            models.Index(fields=["agent_id", "interval_start"], name="intervalstat_agent_time"),
        ]

    def __str__(self) -> str:
        return f"{self.interval_start:%Y-%m-%d %H:%M} q{self.queue_id} a{self.agent_id} {self.channel}"


class DayStat(Figures):
    """The intervals of one local day (in the tenant's zone, `ReportingSettings.days_time_zone`) summed
    per slice, so reports over days, weeks, months and totals read a row per day instead of 96:
    `grain` "q" rows are per queue and channel (agent 0: every agent), "a" rows per agent (queue 0 and
    channel "": every queue and channel, their presence too). Kept by the roll-up in the transaction
    that recomputes the day's intervals; rebuilt whole when the zone changes."""

    class Grain(models.TextChoices):
        QUEUE = "q", "queue"
        AGENT = "a", "agent"

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()
    grain = models.CharField(max_length=1, choices=Grain.choices)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["grain", "day", "queue_id", "agent_id", "channel"], name="daystat_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grain} q{self.queue_id} a{self.agent_id} {self.channel}"


class QueueAlert(models.Model):
    """When the wallboard colours a queue's tile (and can notify): its service level today below the
    queue's target, or its longest wait over `longest_wait_seconds`."""

    queue = models.OneToOneField("routing.Queue", on_delete=models.CASCADE, related_name="+")
    longest_wait_seconds = models.PositiveIntegerField(_("longest wait (seconds)"), null=True, blank=True)

    def __str__(self) -> str:
        return f"alert of queue {self.queue_id}"


class TeamTarget(models.Model):
    """A team's target for a metric of the agents' scorecards (e.g. AHT at most 300 s, CSAT at least 4.5)."""

    team = models.ForeignKey("agents.Team", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=32)
    target = models.FloatField()

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["team", "metric"], name="teamtarget_once"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.target} ({self.team_id})"


class Dashboard(models.Model):
    """A saved set of reports (each a slice, a range relative to today, an interval and filters), shown
    to supervisors, through read-only links and in scheduled mail."""

    name = models.CharField(_("name"), max_length=120)
    # [{"slice": "queues", "range": "last_7_days", "interval": "total", "queue": [1], "channel": ["chat"]}]
    reports = models.JSONField(default=list)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


def _link_secret() -> str:
    import secrets

    return secrets.token_urlsafe(16)


class DashboardLink(models.Model):
    """A read-only link to one dashboard: the URL carries its id and a random secret of its own, signed
    for the tenant; the row holds the secret, its expiry and revocation (a guessed id, a recreated
    tenant or a known id with the signing key is still not a link)."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="links")
    secret = models.CharField(max_length=32, default=_link_secret)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link {self.pk} to {self.dashboard_id}"


class DashboardSchedule(models.Model):
    """A dashboard mailed to some addresses every day or every week, at a local hour of the tenant."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="schedules")
    frequency = models.CharField(_("how often"), max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)  # 0 Monday (weekly)
    hour = models.PositiveSmallIntegerField(_("hour"), default=7)  # local, in the reporting time zone
    recipients = ArrayField(models.EmailField(), size=20)
    next_run_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["next_run_at"], name="dashboardschedule_due")]

    def __str__(self) -> str:
        return f"{self.frequency} {self.dashboard_id}"
