"""Contacts and their identities across channels: find or create by any identity, merge."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
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


# Which of several matching verified identities decides the contact: the business's own customer id
# first, a visitor id (one browser) last.
_KIND_PRIORITY: dict[str, int] = {
    ContactIdentity.Kind.EXTERNAL: 0,
    ContactIdentity.Kind.EMAIL: 1,
    ContactIdentity.Kind.PHONE: 2,
    ContactIdentity.Kind.MESSAGING: 3,
    ContactIdentity.Kind.VISITOR: 4,
}


def do_identify_contact(
    identities: dict[str, str],
    profile: dict[str, Any] | None = None,
    *,
    claimed: dict[str, str] | None = None,
) -> Contact:
    """The contact owning any of these verified identities ({kind: value}), created if none does.

    `identities` must be proven (signed by the business, issued by us, or entered by an agent): they
    find the contact and are attached to it as verified. `claimed` identities (typed by an anonymous
    visitor) never find a contact: they are only remembered, unverified, on the contact found or
    created from `identities`. Profile fields fill blanks, never overwrite."""
    profile = profile or {}
    proven = {kind: value[:254] for kind, value in identities.items() if value}
    with transaction.atomic():
        found = sorted(
            (
                i
                for i in ContactIdentity.objects.select_for_update()
                .select_related("contact")
                .filter(verified=True, kind__in=list(proven), value__in=list(proven.values()))
                if proven.get(i.kind) == i.value
            ),
            key=lambda i: _KIND_PRIORITY.get(i.kind, 9),
        )
        contact = found[0].contact if found else None
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
        owned = {(i.kind, i.value): i.contact_id for i in found}
        for kind, value in proven.items():
            if (kind, value) in owned:
                continue  # verified already (on this contact, or on another one that keeps it)
            # One this contact once only claimed becomes verified; otherwise a new verified row.
            updated = ContactIdentity.objects.filter(contact=contact, kind=kind, value=value).update(verified=True)
            if not updated:
                try:
                    with transaction.atomic():
                        ContactIdentity.objects.create(contact=contact, kind=kind, value=value, verified=True)
                except IntegrityError:
                    pass  # another request verified it on its contact a moment ago; that one keeps it
        for kind, value in (claimed or {}).items():
            if value:
                ContactIdentity.objects.get_or_create(contact=contact, kind=kind, value=value[:254])
    return contact


def do_merge_contacts(keep: Contact, other: Contact) -> Contact:
    """Merge `other` into `keep`: its identities and interactions follow."""
    if keep.pk == other.pk:
        raise ValidationFailed(_("A contact cannot be merged into itself."))
    with transaction.atomic():
        # An identity both contacts hold stays once on `keep`, verified if either copy was.
        for dup in ContactIdentity.objects.filter(contact=other).filter(
            kind__in=keep.identities.values("kind"), value__in=keep.identities.values("value")
        ):
            same = ContactIdentity.objects.filter(contact=keep, kind=dup.kind, value=dup.value)
            if same.exists():
                dup.delete()
                if dup.verified:
                    same.update(verified=True)
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
