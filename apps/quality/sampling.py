"""Sampling: rules that put interactions in the evaluators' work list, each interaction at most once
whatever the rules (`WorkItem.interaction` is unique).

- random: about `percent` % of each agent's resolved interactions, each decided once by a hash of the
  rule and the interaction (no state, the same answer however often it is asked, spread evenly over
  agents and time);
- low_csat: every interaction the customer rated at most `csat_at_most`;
- long_handle: every resolved interaction whose handle time (talk + hold + after-contact work, from the
  record) is over `aht_factor` x its queue's average of the 30 days before.

`do_sample` (beat, every 5 minutes, every tenant) looks at what was resolved (or rated) since the rule's
last look, a little overlapped, and inserts what it picks, ignoring what is already listed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.validation import json_object
from apps.inbox.models import Channel

from .models import EvaluationForm, SamplingRule, WorkItem

OVERLAP = timedelta(minutes=5)
EVALUATORS = {"owner", "admin", "supervisor"}


def picked(rule_id: int, interaction_id: int, percent: float) -> bool:
    digest = hashlib.sha256(f"{rule_id}:{interaction_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < percent / 100


def _number(data: dict[str, Any], name: str, low: float, high: float) -> float:
    value = data.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
        return float(value)
    raise ValidationFailed(
        _("%(p)s: a number from %(low)s to %(high)s.") % {"p": name, "low": low, "high": high},
        fields={name: [_("From %(low)s to %(high)s.") % {"low": low, "high": high}]},
    )


def do_save_sampling_rule(actor: User, data: Any) -> SamplingRule:
    if actor.role not in EVALUATORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner evaluate."))
    data = json_object(data)
    raw_name = data.get("name")
    name = raw_name.strip() if isinstance(raw_name, str) else ""
    if not name or len(name) > 120:
        raise ValidationFailed(_("Name the rule (up to 120 characters)."), fields={"name": [_("1 to 120 characters.")]})
    kind = data.get("kind")
    if kind not in SamplingRule.Kind.values:
        raise ValidationFailed(
            _("kind: one of %(k)s.") % {"k": ", ".join(SamplingRule.Kind.values)}, fields={"kind": [_("Unknown kind.")]}
        )
    form_id = data.get("form")
    form = EvaluationForm.objects.filter(pk=form_id, archived=False).first() if isinstance(form_id, int) else None
    if form is None:
        raise ValidationFailed(_("No such form."), fields={"form": [_("No such form.")]})
    channels = data.get("channels") or []
    if not isinstance(channels, list) or any(c not in Channel.values for c in channels):
        raise ValidationFailed(
            _("channels: some of %(c)s.") % {"c": ", ".join(Channel.values)},
            fields={"channels": [_("Unknown channel.")]},
        )
    rule = SamplingRule(name=name, kind=kind, form=form, channels=sorted(set(channels)), created_by=actor)
    if kind == SamplingRule.Kind.RANDOM:
        rule.percent = _number(data, "percent", 0.01, 100)
    elif kind == SamplingRule.Kind.LOW_CSAT:
        rule.csat_at_most = int(_number(data, "csat_at_most", 1, 5))
    else:
        rule.aht_factor = _number(data, "aht_factor", 1, 100)
    with transaction.atomic():
        rule.sampled_to = timezone.now() - timedelta(days=7)  # a new rule looks at the last week too
        rule.save()
        record_audit(actor, "quality.sampling_rule_saved", rule, name=name, kind=kind, form=form.pk)
    return rule


def do_set_sampling_rule_enabled(actor: User, rule_id: int, enabled: Any) -> SamplingRule:
    if actor.role not in EVALUATORS:
        raise PermissionDenied(_("Only supervisors, admins and the owner evaluate."))
    if not isinstance(enabled, bool):
        raise ValidationFailed(_("enabled: true or false."), fields={"enabled": [_("True or false.")]})
    with transaction.atomic():
        rule = SamplingRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("No such rule."))
        rule.enabled = enabled
        rule.save(update_fields=["enabled"])
        record_audit(actor, "quality.sampling_rule_enabled" if enabled else "quality.sampling_rule_disabled", rule)
    return rule


# Each interaction's handle time from the record: talk + hold of its handlings (conference guests left
# out) + its after-contact work.
_PER_INTERACTION = """
SELECT s.interaction_id,
       sum(CASE WHEN s.kind = 'handling'
                THEN coalesce((s.data ->> 'talk_seconds')::float, 0) + coalesce((s.data ->> 'hold_seconds')::float, 0)
                ELSE extract(epoch FROM s.ended_at - s.started_at) END) AS total
FROM inbox_segment s
WHERE s.ended_at IS NOT NULL AND {where}
  AND ((s.kind = 'handling' AND coalesce(s.data ->> 'role', '') <> 'conference') OR s.kind = 'acw')
GROUP BY s.interaction_id
"""
_HANDLE = f"""
SELECT i.id, i.assigned_agent_id, i.queue_id, coalesce(h.total, 0)
FROM inbox_interaction i LEFT JOIN ({_PER_INTERACTION.format(where="s.interaction_id = ANY(%(ids)s)")}) h
  ON h.interaction_id = i.id
WHERE i.id = ANY(%(ids)s)
"""
_QUEUE_AVERAGE = f"""
SELECT i.queue_id, avg(h.total)
FROM ({_PER_INTERACTION.format(where="s.ended_at >= %(since)s AND s.ended_at < %(until)s")}) h
JOIN inbox_interaction i ON i.id = h.interaction_id
WHERE i.queue_id = ANY(%(queues)s)
GROUP BY i.queue_id
"""


def _candidates(rule: SamplingRule, since: datetime, until: datetime) -> list[tuple[int, int, str]]:
    """(interaction, agent, why) the rule picks among what it has not looked at yet."""
    from apps.inbox.models import Interaction

    found = Interaction.objects.filter(assigned_agent__isnull=False)
    if rule.channels:
        found = found.filter(channel__in=rule.channels)
    if rule.kind == SamplingRule.Kind.LOW_CSAT:
        rows = found.filter(csat_at__gt=since, csat_at__lte=until, csat_score__lte=rule.csat_at_most)
        return [
            (i, a, _("Rated %(n)d") % {"n": s}) for i, a, s in rows.values_list("id", "assigned_agent_id", "csat_score")
        ]
    resolved = list(
        found.filter(status="resolved", resolved_at__gt=since, resolved_at__lte=until).values_list(
            "id", "assigned_agent_id"
        )
    )
    if rule.kind == SamplingRule.Kind.RANDOM:
        why = _("Random sample of %(p)s %%") % {"p": f"{rule.percent:g}"}
        return [(i, a, why) for i, a in resolved if picked(rule.pk, i, float(rule.percent or 0))]
    if not resolved:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_HANDLE, {"ids": [i for i, _a in resolved]})
        handles = cursor.fetchall()
        queues = sorted({q for _i, _a, q, _h in handles if q})
        cursor.execute(_QUEUE_AVERAGE, {"since": until - timedelta(days=30), "until": until, "queues": queues})
        averages = dict(cursor.fetchall())
    out = []
    factor = float(rule.aht_factor or 2)
    for interaction_id, agent_id, queue_id, handle in handles:
        average = averages.get(queue_id)
        if average and handle > factor * average:
            why = _("Handled in %(h)d s, %(x).1f x the queue's average of %(a)d s") % {
                "h": handle,
                "x": handle / average,
                "a": average,
            }
            out.append((interaction_id, agent_id, why))
    return out


def do_sample(*, now: datetime | None = None) -> int:
    """Beat: every enabled rule looks at what happened since it last looked. Returns items added."""
    now = now or timezone.now()
    added = 0
    for rule_id in SamplingRule.objects.filter(enabled=True).values_list("pk", flat=True):
        with transaction.atomic():
            rule = SamplingRule.objects.select_for_update(skip_locked=True).filter(pk=rule_id, enabled=True).first()
            if rule is None:
                continue
            since = (rule.sampled_to or rule.created_at) - OVERLAP
            picks = _candidates(rule, since, now)
            listed = set(
                WorkItem.objects.filter(interaction_id__in=[i for i, _a, _w in picks]).values_list(
                    "interaction_id", flat=True
                )
            )
            new = [WorkItem(interaction_id=i, agent_id=a, rule=rule, reason=why[:200]) for i, a, why in picks
                   if i not in listed]  # fmt: skip
            # ignore_conflicts: a rule of another worker listing the same one at the same moment
            WorkItem.objects.bulk_create(new, ignore_conflicts=True)
            added += len(new)
            rule.sampled_to = now
            rule.save(update_fields=["sampled_to"])
    return added


def do_start_from_work_item(actor: User, item_id: int) -> Any:
    """The evaluation of a listed interaction, with its rule's form (the item is then started)."""
    from .actions import do_start_evaluation

    with transaction.atomic():
        item = WorkItem.objects.select_for_update(of=("self",)).select_related("rule").filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("No such item."))
        if item.status != WorkItem.Status.OPEN:
            raise ApplicationError(_("This interaction is being evaluated already."), code="taken", status=409)
        if item.rule is None:
            raise ApplicationError(
                _("Its rule was deleted: start it from the interaction."), code="no_rule", status=409
            )
        evaluation = do_start_evaluation(
            actor, interaction_id=item.interaction_id, form_id=item.rule.form_id, agent_id=item.agent_id
        )
        item.status, item.evaluation = WorkItem.Status.STARTED, evaluation
        item.save(update_fields=["status", "evaluation"])
    return evaluation
