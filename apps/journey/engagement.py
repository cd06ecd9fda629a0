"""Proactive engagement: rules that invite the website visitors who matter to chat or to call.

A rule is an expression of the routing expression language over facts of four scopes:

    page.path startswith "/checkout" and page.seconds >= 30 and cart.value >= 100
    session.pages >= 3 and not contact.identified
    contact.vip

- `page`, `session` and `cart` come from the visitor's browser (the widget's engagement script asks
  `POST /widget/engage/` with them when a page opens, when the site reports an event, and when a time
  the rules name comes); they are the visitor's own claims and can only earn them an invitation.
- `contact` is read here, never taken from the browser: the contact's attributes (as the business
  signed or set them), `identified` (a signed identity), `conversations` (how many they had).

A matching rule invites once per visit; a visitor who dismisses an invitation is not invited again
in that visit, nor while a conversation of theirs is open. A capacity condition keeps invitations
for when they can be answered (an agent of the queue available, or the estimated wait short).
Invitations shown, dismissed, accepted and converted (the rule's conversion event sent by the site or
the business's backend within a week) are counted per rule (`selectors.engagement_stats`).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, ValidationFailed
from apps.core.tenancy import current_schema
from apps.inbox.models import Contact, ContactIdentity, Interaction
from apps.routing.expressions import (
    AgentFacts,
    Binding,
    Const,
    ExpressionError,
    Fact,
    KnownNames,
    Node,
    comparisons,
    compile_node,
    operands,
    parse,
)
from apps.routing.models import Queue
from apps.routing.selectors import available_agents, estimated_wait_seconds, waiting_count

from .models import EngagementRule, Invitation

PAGE_FACTS = {"path": "text", "url": "text", "title": "text", "referrer": "text", "seconds": "number"}
SESSION_FACTS = {"pages": "number", "seconds": "number", "events": "number"}
CONTACT_BUILTINS = {"identified": "boolean", "conversations": "number"}
KNOWN = KnownNames(
    skills=frozenset(),
    interaction_attributes={},
    facts={"page": PAGE_FACTS, "session": SESSION_FACTS, "cart": None, "contact": None},
    agents=False,
)
BROWSER_SCOPES = ("page", "session", "cart")
CONVERSION_WINDOW = timedelta(days=7)
MAX_RULES = 50
_NO_AGENT = AgentFacts(skills={}, languages=[], location="", attributes={})
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_SALT = "journey.invitation"


@functools.lru_cache(maxsize=1024)
def parse_rule(expression: str) -> Node:
    """The parsed rule (raises ExpressionError with the column of the problem)."""
    return parse(expression, KNOWN)


def check_rule_expression(expression: Any) -> str:
    if not isinstance(expression, str):
        raise ValidationFailed(_("Write when to invite."), fields={"expression": [_("Must be text.")]})
    try:
        parse_rule(expression.strip())
    except ExpressionError as exc:
        raise ValidationFailed(str(exc), fields={"expression": [str(exc)]}) from None
    return expression.strip()


# --- the rules (owners and admins) ----------------------------------------------------------------


_RULE_FIELDS = (
    "name",
    "enabled",
    "priority",
    "expression",
    "action",
    "message",
    "queue",
    "capacity",
    "max_wait_seconds",
    "conversion_event",
)


def _clean_rule(fields: dict[str, Any], rule: EngagementRule | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    unknown = sorted(set(fields) - set(_RULE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(f)s.") % {"f": ", ".join(unknown)}, fields={f: [_("Unknown field.")] for f in unknown}
        )

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "name" in fields or rule is None:
        name = fields.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 80:
            bad("name", _("Give the rule a name of at most 80 characters."))
        elif EngagementRule.objects.filter(name__iexact=name).exclude(pk=rule.pk if rule else 0).exists():
            bad("name", _("Another rule has this name."))
        out["name"] = name
    if "expression" in fields or rule is None:
        try:
            out["expression"] = check_rule_expression(fields.get("expression"))
        except ValidationFailed as exc:
            bad("expression", exc.message)
    if "message" in fields or rule is None:
        message = fields.get("message")
        message = message.strip() if isinstance(message, str) else ""
        if not message or len(message) > 200:
            bad("message", _("Write what the invitation says, at most 200 characters."))
        out["message"] = message
    if "action" in fields:
        if fields["action"] not in EngagementRule.Action.values:
            bad("action", _("Choose from: %(c)s.") % {"c": ", ".join(EngagementRule.Action.values)})
        out["action"] = fields["action"]
    if "capacity" in fields:
        if fields["capacity"] not in EngagementRule.Capacity.values:
            bad("capacity", _("Choose from: %(c)s.") % {"c": ", ".join(EngagementRule.Capacity.values)})
        out["capacity"] = fields["capacity"]
    if "enabled" in fields:
        if not isinstance(fields["enabled"], bool):
            bad("enabled", _("Must be true or false."))
        out["enabled"] = fields["enabled"]
    if "priority" in fields:
        value = fields["priority"]
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000):
            bad("priority", _("A whole number from 0 to 1,000 (lower first)."))
        out["priority"] = value
    if "max_wait_seconds" in fields:
        value = fields["max_wait_seconds"]
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3600):
            bad("max_wait_seconds", _("Seconds from 0 to 3,600."))
        out["max_wait_seconds"] = value
    if "conversion_event" in fields:
        value = fields["conversion_event"]
        value = value.strip() if isinstance(value, str) else value
        if value is None:
            value = ""
        if not isinstance(value, str) or (value and not _EVENT_NAME.match(value)):
            bad("conversion_event", _("An event name: a letter, then letters, digits, “_”, “.”, “:” or “-”."))
        out["conversion_event"] = value
    if "queue" in fields:
        value = fields["queue"]
        if value in (None, ""):
            out["queue"] = None
        elif isinstance(value, int) and not isinstance(value, bool) and Queue.objects.filter(pk=value).exists():
            out["queue"] = Queue.objects.get(pk=value)
        else:
            bad("queue", _("No such queue."))
    capacity = out.get("capacity", rule.capacity if rule else EngagementRule.Capacity.ALWAYS)
    wait = out.get("max_wait_seconds", rule.max_wait_seconds if rule else None)
    if capacity == EngagementRule.Capacity.SHORT_WAIT and wait is None and "max_wait_seconds" not in errors:
        bad("max_wait_seconds", _("Say how short: the longest estimated wait in seconds."))
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    return out


def do_save_engagement_rule(actor: User | None, rule: EngagementRule | None, **fields: Any) -> EngagementRule:
    """Create (rule None) or change an engagement rule; the expression is checked when saved."""
    cleaned = _clean_rule(fields, rule)
    with transaction.atomic():
        if rule is None:
            if EngagementRule.objects.count() >= MAX_RULES:
                raise ValidationFailed(_("A business may have at most %(n)d rules.") % {"n": MAX_RULES})
            rule = EngagementRule(**cleaned)
            verb = "journey.engagement_rule_created"
        else:
            rule = EngagementRule.objects.select_for_update().get(pk=rule.pk)
            for key, value in cleaned.items():
                setattr(rule, key, value)
            verb = "journey.engagement_rule_changed"
        rule.updated_at = timezone.now()
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise ValidationFailed(
                _("Please correct the errors below."), fields={"name": [_("Another rule has this name.")]}
            ) from None
        changes = {k: (v.pk if isinstance(v, Queue) else v) for k, v in cleaned.items()}
        record_audit(actor, verb, rule, **changes)
    return rule


def do_delete_engagement_rule(actor: User | None, rule: EngagementRule) -> None:
    """Delete a rule and its invitations' counts (switching it off keeps them)."""
    with transaction.atomic():
        record_audit(actor, "journey.engagement_rule_deleted", rule, name=rule.name)
        rule.delete()


# --- deciding (the widget's `POST /widget/engage/`) --------------------------------------------


def check_browser_facts(raw: Any) -> dict[str, dict[str, Any]]:
    """The facts the visitor's browser reports: page, session and cart, flat values only. `contact`
    is never taken from the browser."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationFailed(_("facts must be an object."), fields={"facts": [_("Must be an object.")]})
    out: dict[str, dict[str, Any]] = {}
    for scope in BROWSER_SCOPES:
        values = raw.get(scope) or {}
        if not isinstance(values, dict) or len(values) > 30:
            raise ValidationFailed(
                _("facts.%(s)s must be an object of at most 30 values.") % {"s": scope},
                fields={f"facts.{scope}": [_("Must be an object of at most 30 values.")]},
            )
        kept: dict[str, Any] = {}
        for name, value in values.items():
            if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", name):
                raise ValidationFailed(
                    _("facts.%(s)s: names are letters, digits and “_”.") % {"s": scope},
                    fields={f"facts.{scope}": [_("Bad name.")]},
                )
            if isinstance(value, str):
                kept[name] = value[:500]
            elif isinstance(value, bool) or (isinstance(value, (int, float)) and abs(value) < 1e12):
                kept[name] = value
            elif value is not None:
                raise ValidationFailed(
                    _("facts.%(s)s.%(n)s must be text, a number or true/false.") % {"s": scope, "n": name},
                    fields={f"facts.{scope}.{name}": [_("Must be text, a number or true/false.")]},
                )
        out[scope] = kept
    return out


def _names(node: Any, scope: str | None = None) -> list[Fact]:
    """The facts a rule names (of one scope)."""
    return [o for o in operands(node) if isinstance(o, Fact) and (scope is None or o.scope == scope)]


def _contact_facts(contact: Contact) -> dict[str, Any]:
    facts = {k: v for k, v in (contact.attributes or {}).items() if isinstance(v, (str, int, float, bool))}
    facts["identified"] = ContactIdentity.objects.filter(
        contact=contact, kind=ContactIdentity.Kind.EXTERNAL, verified=True
    ).exists()
    facts["conversations"] = Interaction.objects.filter(contact=contact).count()
    return facts


def _time_waits(node: Node, facts: dict[str, dict[str, Any]]) -> list[float]:
    """Seconds from now at which a `page.seconds >= N` or `session.seconds > N` of the rule comes true."""
    waits: list[float] = []
    for cmp in comparisons(node):
        for fact, const, ops in ((cmp.left, cmp.right, (">=", ">")), (cmp.right, cmp.left, ("<=", "<"))):
            if (
                isinstance(fact, Fact)
                and fact.name == "seconds"
                and fact.scope in {"page", "session"}
                and isinstance(const, Const)
                and isinstance(const.value, (int, float))
                and not isinstance(const.value, bool)
                and cmp.op in ops
            ):
                target = float(const.value) + (1 if cmp.op in {">", "<"} else 0)
                now = facts.get(fact.scope, {}).get("seconds")
                current = float(now) if isinstance(now, (int, float)) and not isinstance(now, bool) else 0.0
                if target > current:
                    waits.append(target - current)
    return waits


def _has_capacity(rule: EngagementRule, queue: Queue) -> bool:
    channel = rule.action
    if rule.capacity == EngagementRule.Capacity.AGENT_AVAILABLE:
        return available_agents(queue, channel) > 0
    if rule.capacity == EngagementRule.Capacity.SHORT_WAIT:
        if available_agents(queue, channel) > 0:
            return True
        wait = estimated_wait_seconds(queue, waiting_count(queue) + 1, channel)
        return 0 <= wait <= (rule.max_wait_seconds or 0)
    return True


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "v": invitation.visitor_id}, salt=f"{_SALT}:{current_schema()}")


def _read_token(token: Any, visitor_id: str) -> Invitation | None:
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=f"{_SALT}:{current_schema()}", max_age=86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("v") != visitor_id:
        return None
    pk = data.get("i")
    if not isinstance(pk, int):
        return None
    return Invitation.objects.select_related("rule").filter(pk=pk).first()


def do_engage(
    *,
    queue: Queue,
    contact_id: int,
    visitor_id: str,
    session_id: Any,
    facts: Any,
    dismiss: Any = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A visitor's browser asks whether to invite them now. Returns the invitation to show (recorded
    as shown) or none, and in how many seconds to ask again (a time a rule names), if any."""
    now = now or timezone.now()
    if not isinstance(session_id, str) or not re.match(r"^[A-Za-z0-9_-]{1,64}$", session_id):
        raise ValidationFailed(_("session is missing or malformed."), fields={"session": [_("Malformed.")]})
    if dismiss is not None:
        dismissed = _read_token(dismiss, visitor_id)
        if dismissed is None:
            raise ValidationFailed(_("This invitation is unknown or expired."), code="unknown_invitation")
        Invitation.objects.filter(pk=dismissed.pk, dismissed_at__isnull=True, accepted_at__isnull=True).update(
            dismissed_at=now
        )
        return {"invitation": None, "recheck_in": None}
    browser = check_browser_facts(facts)
    rules = [r for r in EngagementRule.objects.filter(enabled=True).select_related("queue")]
    if not rules:
        return {"invitation": None, "recheck_in": None}
    contact = Contact.objects.filter(pk=contact_id).first()
    while contact is not None and contact.merged_into_id:
        contact = Contact.objects.filter(pk=contact.merged_into_id).first()
    if contact is None:
        raise NotFound(_("This visitor is not known here."))
    this_visit = list(
        Invitation.objects.filter(visitor_id=visitor_id, session_id=session_id).values_list("rule_id", "dismissed_at")
    )
    if any(dismissed_at for _rule, dismissed_at in this_visit):
        return {"invitation": None, "recheck_in": None}
    if Interaction.objects.filter(contact=contact).exclude(status=Interaction.Status.RESOLVED).exists():
        return {"invitation": None, "recheck_in": None}  # already talking to us
    shown = {rule_id for rule_id, _d in this_visit}
    all_facts: dict[str, dict[str, Any]] = dict(browser)
    waits: list[float] = []
    for rule in rules:
        if rule.pk in shown:
            continue
        try:
            node = parse_rule(rule.expression)
        except ExpressionError:
            continue  # saved before a name it uses was removed: it invites nobody
        if "contact" not in all_facts and _names(node, "contact"):
            all_facts["contact"] = _contact_facts(contact)
        if not compile_node(node, Binding(_NO_AGENT, {}, all_facts)):
            waits += _time_waits(node, all_facts)
            continue
        target = rule.queue or queue
        if not _has_capacity(rule, target):
            continue
        named = {f"{f.scope}.{f.name}": all_facts.get(f.scope, {}).get(f.name) for f in _names(node)}
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    rule=rule, contact=contact, visitor_id=visitor_id, session_id=session_id, facts=named, shown_at=now
                )
        except IntegrityError:  # the same visit asked twice at once: the other answer shows it
            return {"invitation": None, "recheck_in": None}
        return {
            "invitation": {
                "token": invitation_token(invitation),
                "action": rule.action,
                "message": rule.message,
            },
            "recheck_in": None,
        }
    return {"invitation": None, "recheck_in": min(waits) if waits else None}


# --- what the widget does with an invitation (hooks it runs) --------------------------------------


def accept_invitation(token: str, visitor_id: str) -> dict[str, Any] | None:
    """widget's `widget_invitation_accepted` hook: the visitor took the invitation. Returns what the
    widget needs to open the conversation (the rule's queue, its action and message)."""
    invitation = _read_token(token, visitor_id)
    if invitation is None:
        return None
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), dismissed_at=None
    )
    return {
        "id": invitation.pk,
        "queue_id": invitation.rule.queue_id,
        "action": invitation.rule.action,
        "message": invitation.rule.message,
    }


def link_invitation(invitation_id: int, interaction: Interaction) -> None:
    """widget's `widget_conversation_opened` hook (inside its transaction): the conversation an
    accepted invitation opened, so the agent sees why the customer was invited."""
    Invitation.objects.filter(pk=invitation_id, interaction__isnull=True).update(interaction=interaction)


def invitation_queue(invitation: dict[str, Any] | None) -> Queue | None:
    if not invitation or not invitation.get("queue_id"):
        return None
    return Queue.objects.filter(pk=invitation["queue_id"]).first()


def do_mark_conversions(contact_pks: list[int], names: list[str], *, now: datetime | None = None) -> int:
    """The business's backend reported events: invitations of these contacts whose rule converts on one
    of them (shown in the last week, not yet converted) are counted as converted."""
    if not names:
        return 0
    now = now or timezone.now()
    return Invitation.objects.filter(
        contact_id__in=contact_pks,
        rule__conversion_event__in=names,
        converted_at__isnull=True,
        shown_at__gte=now - CONVERSION_WINDOW,
    ).update(converted_at=now)


def rule_or_404(pk: int) -> EngagementRule:
    rule = EngagementRule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    return rule
