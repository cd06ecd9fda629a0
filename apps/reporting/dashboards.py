"""Shared dashboards: a saved set of reports, read by supervisors in the product, by anyone holding a
read-only link (signed, expiring, revocable) and by mail on a schedule (daily or weekly, beat and SMTP).

A dashboard's reports are relative ("the last 7 days"), so a link or a mail always shows the current
figures; each is an ordinary report (`selectors.report`), so its numbers are the report page's.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound, ValidationFailed
from apps.core.tenancy import current_schema
from apps.core.validation import whole_number

from .metrics import BY_NAME, shown
from .models import Dashboard, DashboardLink, DashboardSchedule, ReportingSettings
from .selectors import SLICE_NAMES, parse_report_query, report

logger = logging.getLogger(__name__)

RANGES = {
    "today": gettext_lazy("Today"),
    "yesterday": gettext_lazy("Yesterday"),
    "last_7_days": gettext_lazy("Last 7 days"),
    "last_30_days": gettext_lazy("Last 30 days"),
    "this_week": gettext_lazy("This week"),
    "last_week": gettext_lazy("Last week"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
}
SLICES = {
    "queues": gettext_lazy("By queue"),
    "agents": gettext_lazy("By agent"),
    "channels": gettext_lazy("By channel"),
}
INTERVALS = {
    "total": gettext_lazy("Whole range"),
    "day": gettext_lazy("Per day"),
    "week": gettext_lazy("Per week"),
    "month": gettext_lazy("Per month"),
}
COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_seconds",
    "handled",
    "aht_seconds",
    "first_response_seconds",
    "csat",
    "fcr_rate",
)
MAX_REPORTS = 12
MAX_ROWS = 500  # a dashboard's report shows this many rows at most ("Open in reports" has them all)
MAX_RECIPIENTS = 20
LINK_DAYS = (1, 7, 30, 90)
RETRY_AFTER = timedelta(minutes=15)


def range_dates(name: str, today: date) -> tuple[date, date]:
    """The first and last local day of a relative range (both included)."""
    if name == "today":
        return today, today
    if name == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if name == "last_7_days":
        return today - timedelta(days=7), today - timedelta(days=1)
    if name == "last_30_days":
        return today - timedelta(days=30), today - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return monday, today
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first = today.replace(day=1)
    if name == "this_month":
        return first, today
    last = first - timedelta(days=1)
    return last.replace(day=1), last  # last_month


def _ids(value: Any, name: str) -> list[int]:
    if value in (None, "", []):
        return []
    raw = value if isinstance(value, list) else str(value).split(",")
    out = []
    for v in raw:
        if whole_number(v) is None:
            raise ValidationFailed(_("%(p)s: ids separated by commas.") % {"p": name}, fields={name: [_("Ids only.")]})
        out.append(int(str(v).strip()))
    return out


def clean_report(spec: Any) -> dict[str, Any]:
    """One report of a dashboard, checked as the report API checks its query; a bad value names its field."""
    if not isinstance(spec, dict):
        raise ValidationFailed(_("A report is an object."), fields={"reports": [_("An object.")]})
    errors: dict[str, list[str]] = {}
    slice_ = spec.get("slice") or "queues"
    range_ = spec.get("range") or "last_7_days"
    interval = spec.get("interval") or "total"
    slice_, range_, interval = (v if isinstance(v, str) else "?" for v in (slice_, range_, interval))
    if slice_ not in SLICES:
        errors["slice"] = [_("One of: %(s)s.") % {"s": ", ".join(SLICES)}]
    if range_ not in RANGES:
        errors["range"] = [_("One of: %(s)s.") % {"s": ", ".join(RANGES)}]
    if interval not in INTERVALS:
        errors["interval"] = [_("One of: %(s)s.") % {"s": ", ".join(INTERVALS)}]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    channel = spec.get("channel") or []
    channels = channel if isinstance(channel, list) else [c for c in str(channel).split(",") if c]
    cleaned = {
        "slice": slice_,
        "range": range_,
        "interval": interval,
        "queue": _ids(spec.get("queue"), "queue"),
        "team": _ids(spec.get("team"), "team"),
        "channel": [str(c) for c in channels],
    }
    # The filters as the report API reads them (unknown channels, bad ids: the same messages).
    parse_report_query(_params(cleaned, date.today()), slice_, ReportingSettings.current())
    return cleaned


def _params(spec: dict[str, Any], today: date) -> dict[str, str]:
    first, last = range_dates(spec["range"], today)
    params = {"from": first.isoformat(), "to": last.isoformat(), "interval": spec["interval"]}
    for name in ("queue", "team", "channel"):
        if spec.get(name):
            params[name] = ",".join(map(str, spec[name]))
    return params


# --- writes ---------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 120:
        raise ValidationFailed(
            _("Name the dashboard (up to 120 characters)."), fields={"name": [_("1 to 120 characters.")]}
        )
    return name


def do_create_dashboard(actor: User, name: Any, reports: Any = None) -> Dashboard:
    cleaned_name = _name(name)
    specs = _reports(reports if reports is not None else [{}])
    with transaction.atomic():
        dashboard = Dashboard.objects.create(name=cleaned_name, reports=specs, created_by=actor)
        record_audit(actor, "reporting.dashboard_created", dashboard, name=cleaned_name, reports=specs)
    return dashboard


def _reports(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationFailed(_("reports: a list of reports."), fields={"reports": [_("A list.")]})
    if len(value) > MAX_REPORTS:
        raise ValidationFailed(
            _("A dashboard holds at most %(n)d reports.") % {"n": MAX_REPORTS}, fields={"reports": [_("Too many.")]}
        )
    return [clean_report(spec) for spec in value]


def do_update_dashboard(actor: User, dashboard_id: int, *, name: Any = None, reports: Any = None) -> Dashboard:
    cleaned_name = _name(name) if name is not None else None
    specs = _reports(reports) if reports is not None else None
    with transaction.atomic():
        dashboard = Dashboard.objects.select_for_update().filter(pk=dashboard_id).first()
        if dashboard is None:
            raise NotFound(_("No such dashboard."))
        if cleaned_name is not None:
            dashboard.name = cleaned_name
        if specs is not None:
            dashboard.reports = specs
        dashboard.save()
        record_audit(actor, "reporting.dashboard_updated", dashboard, name=dashboard.name, reports=dashboard.reports)
    return dashboard


def do_add_dashboard_report(actor: User, dashboard_id: int, spec: Any) -> Dashboard:
    dashboard = Dashboard.objects.filter(pk=dashboard_id).first()
    if dashboard is None:
        raise NotFound(_("No such dashboard."))
    return do_update_dashboard(actor, dashboard_id, reports=[*dashboard.reports, spec])


def do_remove_dashboard_report(actor: User, dashboard_id: int, index: Any) -> Dashboard:
    dashboard = Dashboard.objects.filter(pk=dashboard_id).first()
    if dashboard is None:
        raise NotFound(_("No such dashboard."))
    if not isinstance(index, int) or not 0 <= index < len(dashboard.reports):
        raise ValidationFailed(_("No such report on this dashboard."), fields={"index": [_("Unknown report.")]})
    return do_update_dashboard(actor, dashboard_id, reports=[r for i, r in enumerate(dashboard.reports) if i != index])


def do_delete_dashboard(actor: User, dashboard_id: int) -> None:
    with transaction.atomic():
        dashboard = Dashboard.objects.select_for_update().filter(pk=dashboard_id).first()
        if dashboard is None:
            raise NotFound(_("No such dashboard."))
        record_audit(actor, "reporting.dashboard_deleted", dashboard, name=dashboard.name)
        dashboard.delete()  # its links stop working, its mail stops


def _salt() -> str:
    return f"reporting.dashboard-link:{current_schema()}"


def link_token(link: DashboardLink) -> str:
    """The link's secret part: its id, signed for this tenant (another tenant's host cannot read it)."""
    return signing.dumps([link.pk, link.secret], salt=_salt(), compress=True)


def link_path(link: DashboardLink) -> str:
    return f"/shared/dashboards/{link_token(link)}/"


def do_create_dashboard_link(actor: User, dashboard_id: int, days: Any) -> DashboardLink:
    if days not in LINK_DAYS:
        raise ValidationFailed(
            _("A link lasts %(d)s days.") % {"d": ", ".join(map(str, LINK_DAYS))},
            fields={"days": [_("One of: %(d)s.") % {"d": ", ".join(map(str, LINK_DAYS))}]},
        )
    with transaction.atomic():
        dashboard = Dashboard.objects.select_for_update().filter(pk=dashboard_id).first()
        if dashboard is None:
            raise NotFound(_("No such dashboard."))
        link = DashboardLink.objects.create(
            dashboard=dashboard, created_by=actor, expires_at=timezone.now() + timedelta(days=days)
        )
        record_audit(actor, "reporting.dashboard_link_created", link, dashboard=dashboard.pk, days=days)
    return link


def do_revoke_dashboard_link(actor: User, link_id: int) -> DashboardLink:
    with transaction.atomic():
        link = DashboardLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None:
            raise NotFound(_("No such link."))
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            record_audit(actor, "reporting.dashboard_link_revoked", link, dashboard=link.dashboard_id)
    return link


class LinkGone(ApplicationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="link_gone", status=410)


def dashboard_for_link(token: str) -> tuple[Dashboard, DashboardLink]:
    """The dashboard a read-only link shows; NotFound for a token that is not ours, LinkGone when it
    expired or was revoked. Notes when it was last looked at."""
    import hmac

    try:
        signed = signing.loads(token, salt=_salt())
    except signing.BadSignature:
        raise NotFound(_("This link is not valid.")) from None
    ok = isinstance(signed, list) and len(signed) == 2 and isinstance(signed[0], int) and isinstance(signed[1], str)
    link = DashboardLink.objects.select_related("dashboard").filter(pk=signed[0]).first() if ok else None
    if link is None or not hmac.compare_digest(link.secret, signed[1]):
        raise LinkGone(_("This dashboard is no longer shared."))
    now = timezone.now()
    if link.revoked_at is not None:
        raise LinkGone(_("This link was revoked. Ask whoever shared it for a new one."))
    if link.expires_at <= now:
        raise LinkGone(_("This link has expired. Ask whoever shared it for a new one."))
    DashboardLink.objects.filter(pk=link.pk).update(last_viewed_at=now)
    return link.dashboard, link


def next_run(frequency: str, weekday: int, hour: int, time_zone: str, after: datetime) -> datetime:
    """The first local `hour`:00 (on `weekday` for weekly mail) strictly after `after`."""
    tz = ZoneInfo(time_zone)
    local = after.astimezone(tz)
    day = local.date()
    for _offset in range(15):
        at = datetime.combine(day, time(hour), tzinfo=tz)
        if at > after and (frequency == DashboardSchedule.Frequency.DAILY or day.weekday() == weekday):
            return at
        day += timedelta(days=1)
    raise AssertionError("no run within two weeks")  # pragma: no cover - every week has each weekday


MAX_SCHEDULES = 5  # per dashboard


def clean_recipients(value: Any) -> list[str]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    raw = value if isinstance(value, list) else str(value or "").replace(";", ",").replace("\n", ",").split(",")
    emails: list[str] = []
    for item in raw:
        address = str(item).strip()
        if not address:
            continue
        try:
            if len(address) > 254:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise ValidationFailed(
                _("Not an email address: %(a)s.") % {"a": address[:80]}, fields={"recipients": [_("Email addresses.")]}
            ) from None
        if address.lower() not in {e.lower() for e in emails}:
            emails.append(address)
    # Only the business's own people: this product never mails addresses nobody there can vouch for.
    known = {e.lower() for e in User.objects.filter(is_active=True).values_list("email", flat=True)}
    strangers = [e for e in emails if e.lower() not in known]
    if strangers:
        raise ValidationFailed(
            _("Dashboards are mailed to people of your team only: %(a)s is not one.") % {"a": strangers[0][:80]},
            fields={"recipients": [_("Addresses of your team's people.")]},
        )
    if not emails or len(emails) > MAX_RECIPIENTS:
        raise ValidationFailed(
            _("1 to %(n)d email addresses, separated by commas.") % {"n": MAX_RECIPIENTS},
            fields={"recipients": [_("1 to %(n)d addresses.") % {"n": MAX_RECIPIENTS}]},
        )
    return emails


def do_save_dashboard_schedule(
    actor: User, dashboard_id: int, *, frequency: Any, weekday: Any = 0, hour: Any = 7, recipients: Any
) -> DashboardSchedule:
    errors: dict[str, list[str]] = {}
    if frequency not in DashboardSchedule.Frequency.values:
        errors["frequency"] = [_("Daily or weekly.")]
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        errors["weekday"] = [_("0 (Monday) to 6 (Sunday).")]
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        errors["hour"] = [_("An hour from 0 to 23.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    emails = clean_recipients(recipients)
    settings = ReportingSettings.current()
    with transaction.atomic():
        dashboard = Dashboard.objects.select_for_update().filter(pk=dashboard_id).first()
        if dashboard is None:
            raise NotFound(_("No such dashboard."))
        if dashboard.schedules.count() >= MAX_SCHEDULES:
            raise ValidationFailed(
                _("A dashboard is mailed on %(n)d schedules at most.") % {"n": MAX_SCHEDULES},
                fields={"frequency": [_("Too many schedules.")]},
            )
        schedule = DashboardSchedule.objects.create(
            dashboard=dashboard,
            frequency=frequency,
            weekday=weekday,
            hour=hour,
            recipients=emails,
            next_run_at=next_run(frequency, weekday, hour, settings.time_zone, timezone.now()),
            created_by=actor,
        )
        record_audit(
            actor,
            "reporting.dashboard_schedule_saved",
            schedule,
            dashboard=dashboard.pk,
            frequency=frequency,
            weekday=weekday,
            hour=hour,
            recipients=emails,
        )
    return schedule


def do_delete_dashboard_schedule(actor: User, schedule_id: int) -> None:
    with transaction.atomic():
        schedule = DashboardSchedule.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None:
            raise NotFound(_("No such schedule."))
        record_audit(actor, "reporting.dashboard_schedule_deleted", schedule, dashboard=schedule.dashboard_id)
        schedule.delete()


# --- reads ----------------------------------------------------------------------------------------


def dashboard_reports(dashboard: Dashboard, settings: ReportingSettings | None = None) -> list[dict[str, Any]]:
    """Each report of the dashboard with today's figures: a title, its range, columns and rows."""
    settings = settings or ReportingSettings.current()
    today = datetime.now(ZoneInfo(settings.time_zone)).date()
    columns = [BY_NAME[m] for m in COLUMNS]
    out = []
    for index, spec in enumerate(dashboard.reports):
        params = _params(spec, today)
        q = parse_report_query(params, spec["slice"], settings)
        rows = report(q, settings)
        more = len(rows) > MAX_ROWS
        rows = rows[:MAX_ROWS]
        key = SLICE_NAMES[spec["slice"]]
        first, last = range_dates(spec["range"], today)
        out.append(
            {
                "index": index,
                "title": f"{SLICES[spec['slice']]} · {RANGES[spec['range']]} · {INTERVALS[spec['interval']]}",
                "from": first,
                "to": last,
                "per_period": spec["interval"] != "total",
                "more": more,
                "filters": {k: spec[k] for k in ("queue", "team", "channel") if spec.get(k)},
                "report_url": "/reports/?"
                + urlencode({"slice": spec["slice"], **{k: v for k, v in params.items() if k != "interval"}})
                + ("&interval=" + spec["interval"] if spec["interval"] != "total" else ""),
                "columns": columns,
                "rows": [
                    {
                        "period": row["period"][:10] if row["period"] else "",
                        "name": row[key]["name"],
                        "cells": [
                            {"metric": m.name, "label": str(m.label), "text": shown(row[m.name], m.unit)}
                            for m in columns
                        ],
                    }
                    for row in rows
                ],
            }
        )
    return out


def _mail_language(schedule: DashboardSchedule) -> str:
    creator = schedule.created_by
    return (creator.language if creator is not None and creator.language else None) or django_settings.LANGUAGE_CODE


def send_dashboard_mail(schedule: DashboardSchedule, dashboard_url: str) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    settings = ReportingSettings.current()
    with translation.override(_mail_language(schedule)):
        context = {
            "dashboard": schedule.dashboard,
            "reports": dashboard_reports(schedule.dashboard, settings),
            "url": dashboard_url,
            "time_zone": settings.time_zone,
            "at": timezone.now().astimezone(ZoneInfo(settings.time_zone)),
            "schedule": schedule,
        }
        subject = " ".join(render_to_string("reporting/dashboard_mail_subject.txt", context).split())
        text = render_to_string("reporting/dashboard_mail_body.txt", context)
        html = render_to_string("reporting/dashboard_mail_body.html", context)
    message = EmailMultiAlternatives(subject, text, django_settings.DEFAULT_FROM_EMAIL, schedule.recipients)
    message.attach_alternative(html, "text/html")
    message.send()


def do_send_due_dashboards(base_url: str, *, now: datetime | None = None) -> int:
    """Beat, every minute, in every tenant: mail each dashboard whose time has come, once. A schedule
    is taken under its row lock (two workers never send it twice); a mail server that refuses is
    noted on the schedule and tried again in 15 minutes; nothing else is held up by it."""
    now = now or timezone.now()
    settings = ReportingSettings.current()
    sent = 0
    due = list(DashboardSchedule.objects.filter(next_run_at__lte=now).values_list("pk", flat=True)[:100])
    for schedule_id in due:
        with transaction.atomic():
            schedule = (
                DashboardSchedule.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("dashboard", "created_by")
                .filter(pk=schedule_id, next_run_at__lte=now)
                .first()
            )
            if schedule is None:
                continue  # another worker has it, or it was just sent
            try:
                send_dashboard_mail(schedule, f"{base_url}/reports/dashboards/{schedule.dashboard_id}/")
            except Exception as exc:
                logger.exception("Dashboard mail %s failed", schedule.pk)
                schedule.last_error = str(exc)[:500] or exc.__class__.__name__
                schedule.next_run_at = now + RETRY_AFTER
                schedule.save(update_fields=["last_error", "next_run_at"])
                continue
            schedule.last_sent_at = now
            schedule.last_error = ""
            schedule.next_run_at = next_run(
                schedule.frequency, schedule.weekday, schedule.hour, settings.time_zone, max(now, schedule.next_run_at)
            )
            schedule.save(update_fields=["last_sent_at", "last_error", "next_run_at"])
            record_audit(None, "reporting.dashboard_mailed", schedule, recipients=schedule.recipients)
            sent += 1
    return sent
