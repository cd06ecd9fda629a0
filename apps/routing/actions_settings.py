"""Writes of routing configuration other than queues: business hours (with their holidays) and the
interaction attributes routing steps may test. Each is one transaction with an audit row
(apps.accounts.audit) naming the acting user; deleting something still in use is refused with a 409
that says what uses it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.actions import queues_whose_steps_name
from apps.core.errors import ApplicationError

from . import engine
from .models import BusinessHours, Holiday, InteractionAttribute, Queue


def _in_use(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, code=code, status=409, fields={"name": [message]})


def do_save_business_hours(
    actor: User | None,
    fields: dict[str, Any],
    *,
    holidays: list[dict[str, Any]] | None = None,
    hours: BusinessHours | None = None,
) -> BusinessHours:
    """Create (`hours` None) or change business hours (`weekly` already checked: hours.check_weekly).
    `holidays` replaces the list; None leaves it as it is."""
    with transaction.atomic():
        if hours is None:
            hours = BusinessHours.objects.create(**fields)
            verb = "business_hours.created"
        else:
            hours = BusinessHours.objects.select_for_update().get(pk=hours.pk)
            for name, value in fields.items():
                setattr(hours, name, value)
            if fields:
                hours.save(update_fields=list(fields))
            verb = "business_hours.updated"
        data: dict[str, Any] = {k: v for k, v in fields.items() if k in {"name", "timezone", "weekly"}}
        if holidays is not None:
            hours.holidays.all().delete()
            Holiday.objects.bulk_create(Holiday(hours=hours, **h) for h in holidays)
            data["holidays"] = [{"date": str(h["date"]), "name": h.get("name", "")} for h in holidays]
        record_audit(actor, verb, hours, **data)
        transaction.on_commit(engine.forget_cached_plans)
    return hours


def do_delete_business_hours(actor: User | None, hours: BusinessHours) -> None:
    """Refused (409 business_hours_in_use) while queues follow them: deleting would leave those
    queues open around the clock without anyone deciding so."""
    with transaction.atomic():
        hours = BusinessHours.objects.select_for_update().get(pk=hours.pk)
        queues = list(Queue.objects.filter(business_hours=hours).order_by("name").values_list("name", flat=True))
        if queues:
            raise _in_use(
                "business_hours_in_use",
                ngettext(
                    "“%(name)s” cannot be deleted: the queue %(queues)s follows them. Give it other hours first.",
                    "“%(name)s” cannot be deleted: the queues %(queues)s follow them. Give them other hours first.",
                    len(queues),
                )
                % {"name": hours.name, "queues": ", ".join(queues)},
            )
        record_audit(actor, "business_hours.deleted", hours, name=hours.name)
        hours.delete()


def do_save_interaction_attribute(
    actor: User | None, *, name: str, type: str, attribute: InteractionAttribute | None = None
) -> InteractionAttribute:
    """Create or change an attribute; renaming one that routing steps test is refused (they would
    stop parsing)."""
    with transaction.atomic():
        if attribute is None:
            attribute = InteractionAttribute.objects.create(name=name, type=type)
            record_audit(actor, "interaction_attribute.created", attribute, name=name, type=type)
            return attribute
        attribute = InteractionAttribute.objects.select_for_update().get(pk=attribute.pk)
        if name != attribute.name or type != attribute.type:
            queues = queues_whose_steps_name(f"interaction.{attribute.name}")
            if queues:
                raise _in_use(
                    "interaction_attribute_in_use",
                    _("Routing steps of %(queues)s use interaction.%(name)s: change them first.")
                    % {"queues": ", ".join(queues), "name": attribute.name},
                )
        attribute.name, attribute.type = name, type
        attribute.save(update_fields=["name", "type"])
        record_audit(actor, "interaction_attribute.updated", attribute, name=name, type=type)
        transaction.on_commit(engine.forget_cached_plans)
    return attribute


def do_delete_interaction_attribute(actor: User | None, attribute: InteractionAttribute) -> None:
    """Refused (409 interaction_attribute_in_use) while routing steps test it."""
    with transaction.atomic():
        attribute = InteractionAttribute.objects.select_for_update().get(pk=attribute.pk)
        queues = queues_whose_steps_name(f"interaction.{attribute.name}")
        if queues:
            raise _in_use(
                "interaction_attribute_in_use",
                _("“%(name)s” cannot be deleted: routing steps of %(queues)s test it. Change them first.")
                % {"name": attribute.name, "queues": ", ".join(queues)},
            )
        record_audit(actor, "interaction_attribute.deleted", attribute, name=attribute.name)
        attribute.delete()
