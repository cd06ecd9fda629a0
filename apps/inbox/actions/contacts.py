"""Contacts and their identities across channels: find or create by any identity, merge."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.hooks import domain_event_on_commit
from apps.core.phones import e164

from ..models import Contact, ContactIdentity, Interaction


def check_phone(phone: str) -> str:
    """A phone number as E.164 (+<country><number>), checked by libphonenumber's rules for its country:
    "+86 138 0013 8000" is "+8613800138000"; a number without its country code, or one no country has,
    is refused."""
    text = (phone or "").strip()
    number = e164(text) if text.startswith("+") else ""
    if text and not number:
        raise ValidationFailed(
            _("Use the international format, e.g. +4930123456."), fields={"phone": [_("Not an E.164 number.")]}
        )
    return number


# Which of several matching verified identities decides the contact: the business's own customer id
# first, a visitor id (one browser) last.
_KIND_PRIORITY: dict[str, int] = {
    ContactIdentity.Kind.EXTERNAL: 0,
    ContactIdentity.Kind.EMAIL: 1,
    ContactIdentity.Kind.PHONE: 2,
    ContactIdentity.Kind.MESSAGING: 3,
    ContactIdentity.Kind.VISITOR: 4,
}


def _verify_identity(contact: Contact, kind: str, value: str) -> bool:
    """Make (kind, value) a verified identity of `contact`: the one it only claimed becomes verified,
    or a new verified row. False when another contact holds it verified (the unique constraint)."""
    try:
        with transaction.atomic():
            if not ContactIdentity.objects.filter(contact=contact, kind=kind, value=value).update(verified=True):
                ContactIdentity.objects.create(contact=contact, kind=kind, value=value, verified=True)
    except IntegrityError:
        return False
    return True


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
        # A browser's anonymous visitor (no proven identity but the visitor id we issued) that now
        # proves who they are: its history (conversations, web events) joins the customer's.
        for other_id in sorted({i.contact_id for i in found} - {contact.pk}):
            other = Contact.objects.select_for_update().get(pk=other_id)
            anonymous = not (
                ContactIdentity.objects.filter(contact=other, verified=True)
                .exclude(kind=ContactIdentity.Kind.VISITOR)
                .exists()
            )
            if anonymous and other.merged_into_id is None:
                do_merge_contacts(contact, other)
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
            # False: another request verified it on its contact a moment ago; that one keeps it.
            _verify_identity(contact, kind, value)
        for kind, value in (claimed or {}).items():
            if value:
                ContactIdentity.objects.get_or_create(contact=contact, kind=kind, value=value[:254])
    return contact


def do_merge_contacts(keep: Contact, other: Contact, *, actor: User | None = None) -> Contact:
    """Merge `other` into `keep`: its identities and interactions follow (and, through the contact
    they name, its web events: journey keeps them on `other` and reads both)."""
    if keep.pk == other.pk:
        raise ValidationFailed(_("A contact cannot be merged into itself."))
    if keep.merged_into_id or other.merged_into_id:
        raise ValidationFailed(_("This contact was already merged into another one."))
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
        record_audit(actor, "contact.merged", keep, other=other.pk)
        domain_event_on_commit("contact.merged", contact_id=keep.pk, merged_id=other.pk)
    return keep


# --- the contacts API: create and edit a customer's profile -------------------------------------------

MAX_ATTRIBUTES_BYTES = 16_000
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PROFILE_FIELDS = ("name", "email", "phone", "external_id", "attributes")


class IdentityTaken(ApplicationError):
    code = "conflict"
    status = 409


def check_attributes(value: Any) -> dict[str, Any]:
    """Custom attributes: an object of names (letters, digits, _) to strings, numbers, booleans or
    lists of those; 16 KB at most. Routing and proactive rules read them as `contact.<name>`."""
    if not isinstance(value, dict):
        raise ValidationFailed(_("Attributes must be an object."), fields={"attributes": [_("Must be an object.")]})
    for key, item in value.items():
        if not _ATTRIBUTE_KEY.match(str(key)):
            raise ValidationFailed(
                _("“%(key)s” is not a valid attribute name: use letters, digits and _.") % {"key": str(key)[:64]},
                fields={"attributes": [_("Invalid name: %(key)s") % {"key": str(key)[:64]}]},
            )
        scalars = (str, int, float, bool, type(None))
        if not (isinstance(item, scalars) or (isinstance(item, list) and all(isinstance(x, scalars) for x in item))):
            raise ValidationFailed(
                _("The attribute “%(key)s” must be a string, number, boolean or a list of those.") % {"key": key},
                fields={"attributes": [_("Nested objects are not allowed: %(key)s") % {"key": key}]},
            )
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES:
        raise ValidationFailed(_("Attributes may hold at most 16 KB."), fields={"attributes": [_("At most 16 KB.")]})
    return value


def _clean_profile(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(_PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("Unknown field.")] for name in unknown},
        )
    cleaned: dict[str, Any] = {}
    for field in ("name", "email", "phone", "external_id"):
        if field not in changes:
            continue
        value = changes[field]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(
                _("%(field)s must be text.") % {"field": field}, fields={field: [_("Must be text.")]}
            )
        cleaned[field] = value.strip()
    if len(cleaned.get("name", "")) > 150:
        raise ValidationFailed(_("The name is too long."), fields={"name": [_("At most 150 characters.")]})
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise ValidationFailed(
                _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
            ) from None
    if cleaned.get("phone"):
        cleaned["phone"] = check_phone(cleaned["phone"])
    if len(cleaned.get("external_id", "")) > 254:
        raise ValidationFailed(
            _("The customer id is too long."), fields={"external_id": [_("At most 254 characters.")]}
        )
    if "attributes" in changes:
        cleaned["attributes"] = check_attributes(changes["attributes"] if changes["attributes"] is not None else {})
    return cleaned


def _claim_identities(contact: Contact, cleaned: dict[str, Any]) -> None:
    """The business vouches for what it sends through the API: its email, phone and customer id
    become verified identities of `contact`, refused when another contact already has one."""
    wanted = {
        ContactIdentity.Kind.EMAIL: cleaned.get("email", ""),
        ContactIdentity.Kind.PHONE: cleaned.get("phone", ""),
        ContactIdentity.Kind.EXTERNAL: cleaned.get("external_id", ""),
    }
    field_of = {
        ContactIdentity.Kind.EMAIL: "email",
        ContactIdentity.Kind.PHONE: "phone",
        ContactIdentity.Kind.EXTERNAL: "external_id",
    }
    for kind, value in wanted.items():
        if not value:
            continue
        taken = (
            ContactIdentity.objects.select_for_update()
            .filter(kind=kind, value=value, verified=True)
            .exclude(contact=contact)
            .first()
        )
        if taken is not None:
            raise IdentityTaken(
                _("Contact %(id)s already has this %(what)s.") % {"id": taken.contact_id, "what": kind.label.lower()},
                fields={field_of[kind]: [_("Already used by contact %(id)s.") % {"id": taken.contact_id}]},
            )
        if not _verify_identity(contact, kind, value):
            raise IdentityTaken(
                _("Another contact took this %(what)s a moment ago.") % {"what": kind.label.lower()},
                fields={field_of[kind]: [_("Already used by another contact.")]},
            )


def do_create_contact(actor: User | None, fields: dict[str, Any]) -> Contact:
    """A contact from the business's own records (integrations, the contacts API)."""
    cleaned = _clean_profile(fields)
    with transaction.atomic():
        contact = Contact.objects.create(
            name=cleaned.get("name", ""),
            email=cleaned.get("email", ""),
            phone=cleaned.get("phone", ""),
            attributes=cleaned.get("attributes", {}),
        )
        _claim_identities(contact, cleaned)
        record_audit(actor, "contact.created", contact, **cleaned)
    return contact


def do_update_contact(actor: User | None, contact: Contact, changes: dict[str, Any]) -> Contact:
    """Change a contact's profile. Attributes merge (a null value removes one); a new email, phone or
    customer id is added as an identity (the old ones keep finding the contact)."""
    cleaned = _clean_profile(changes)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.merged_into_id:
            raise ValidationFailed(
                _("This contact was merged into contact %(id)s: edit that one.") % {"id": contact.merged_into_id}
            )
        for field in ("name", "email", "phone"):
            if field in cleaned:
                setattr(contact, field, cleaned[field])
        if "attributes" in cleaned:
            merged = {**contact.attributes, **cleaned["attributes"]}
            contact.attributes = check_attributes({k: v for k, v in merged.items() if v is not None})
        contact.save()
        _claim_identities(contact, cleaned)
        record_audit(actor, "contact.updated", contact, **cleaned)
    return contact
