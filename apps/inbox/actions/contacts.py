"""Contacts and their identities across channels: find or create by any identity, merge."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

from ..models import Contact, ContactIdentity, Interaction

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def check_phone(phone: str) -> str:
    cleaned = re.sub(r"[\s\-().]", "", phone or "")
    if cleaned and not _E164.match(cleaned):
        raise ValidationFailed(
            _("Use the international format, e.g. +4930123456."), fields={"phone": [_("Not an E.164 number.")]}
        )
    return cleaned


def do_identify_contact(identities: dict[str, str], profile: dict[str, Any] | None = None) -> Contact:
    """The contact owning any of these identities ({kind: value}), created if none does; every
    identity given is attached to it. Profile fields fill blanks, never overwrite."""
    profile = profile or {}
    with transaction.atomic():
        found = (
            ContactIdentity.objects.select_for_update()
            .select_related("contact")
            .filter(kind__in=list(identities), value__in=list(identities.values()))
        )
        contact = next((i.contact for i in found if identities.get(i.kind) == i.value), None)
        while contact is not None and contact.merged_into_id:
            contact = Contact.objects.get(pk=contact.merged_into_id)
        if contact is None:
            contact = Contact.objects.create()
        changed = []
        for field in ("name", "email", "phone"):
            value = str(profile.get(field) or "")[:150]
            if value and not getattr(contact, field):
                setattr(contact, field, check_phone(value) if field == "phone" else value)
                changed.append(field)
        attrs = profile.get("attributes")
        if isinstance(attrs, dict) and attrs:
            contact.attributes = {**contact.attributes, **attrs}
            changed.append("attributes")
        if changed:
            contact.save(update_fields=changed)
        for kind, value in identities.items():
            if value:
                ContactIdentity.objects.get_or_create(kind=kind, value=value[:254], defaults={"contact": contact})
    return contact


def do_merge_contacts(keep: Contact, other: Contact) -> Contact:
    """Merge `other` into `keep`: its identities and interactions follow."""
    if keep.pk == other.pk:
        raise ValidationFailed(_("A contact cannot be merged into itself."))
    with transaction.atomic():
        ContactIdentity.objects.filter(contact=other).update(contact=keep)
        Interaction.objects.filter(contact=other).update(contact=keep)
        for field in ("name", "email", "phone"):
            if not getattr(keep, field) and getattr(other, field):
                setattr(keep, field, getattr(other, field))
        keep.attributes = {**other.attributes, **keep.attributes}
        keep.save()
        other.merged_into = keep
        other.save(update_fields=["merged_into"])
    return keep
