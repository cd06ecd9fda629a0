"""Writes behind the customer widget: start or resume a visit, send, forms, rating.

Each function runs inside the tenant (the consumer calls it with `in_tenant`) and returns what the
socket should answer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.agents import presence
from apps.agents.models import AgentState
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema
from apps.inbox.actions import (
    do_identify_contact,
    do_open_interaction,
    do_post_message,
    do_record_csat,
    message_payload,
)
from apps.inbox.models import Contact, ContactIdentity, Interaction, Message
from apps.routing.models import Queue
from apps.routing.selectors import estimated_wait_seconds, queue_is_open, queue_position, routing_allowed

from .identity import IdentityRefused, read_visitor_token, verify_identity, visitor_token
from .models import WidgetKey
from .selectors import open_chat_of, widget_key

MAX_CONTEXT_BYTES = 8 * 1024


class WidgetRefused(ApplicationError):
    code = "widget_refused"
    status = 403


@dataclass
class Visit:
    """One widget socket's visitor. Held by the socket: what the business signed for this visit is
    applied when the first message opens the conversation."""

    key_id: int
    contact_id: int
    interaction_id: int | None
    context: dict[str, Any] = field(default_factory=dict)
    page: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    # A proactive invitation the visitor took (journey's answer to `widget_invitation_accepted`): the
    # conversation it opens goes to its queue and is linked to it.
    invitation: dict[str, Any] | None = None


def _clean_page(page: Any) -> dict[str, str]:
    """The page the visitor says they are on. Agents open its URL from the desktop: only web
    addresses are kept (a `javascript:` URL would run in the agent's desktop when clicked)."""
    if not isinstance(page, dict):
        return {}
    cleaned = {k: str(page.get(k, ""))[:500] for k in ("url", "title", "referrer") if page.get(k)}
    for k in ("url", "referrer"):
        if k in cleaned and not cleaned[k].lower().startswith(("http://", "https://")):
            del cleaned[k]
    return cleaned


def do_start_visit(
    *, key: Any, embed_origin: Any, visitor: Any, identity_token: Any, page: Any, last_seq: Any
) -> tuple[Visit, dict[str, Any]]:
    """The widget said hello. Returns the visit and the welcome frame."""
    wk = widget_key(key)
    if wk is None:
        raise WidgetRefused(_("This chat is not available."), code="unknown_widget_key")
    if not isinstance(embed_origin, str) or not wk.allows_origin(embed_origin):
        raise WidgetRefused(_("This site is not allowed to use this chat."), code="origin_not_allowed")
    schema = current_schema()
    if wk.last_seen_at is None:  # first hello from the business's own page (onboarding)
        WidgetKey.objects.filter(pk=wk.pk, last_seen_at__isnull=True).update(last_seen_at=timezone.now())
    identity_status = "anonymous"
    verified = None
    if identity_token:
        try:
            verified = verify_identity(identity_token, wk.secret)
            identity_status = "verified"
        except IdentityRefused:
            identity_status = "refused"
    known = read_visitor_token(visitor, schema, wk.pk)
    visitor_id = known["v"] if known else secrets.token_urlsafe(12)
    identities: dict[str, str] = {ContactIdentity.Kind.VISITOR: visitor_id}
    profile: dict[str, Any] = {}
    if verified is not None:
        identities[ContactIdentity.Kind.EXTERNAL] = verified.customer_id
        if verified.email:
            identities[ContactIdentity.Kind.EMAIL] = verified.email.lower()
        profile = {
            "name": verified.name,
            "email": verified.email,
            "phone": verified.phone,
            "attributes": verified.attributes,
        }
    contact = do_identify_contact(identities, profile)
    interaction = open_chat_of(contact.pk)
    page_info = _clean_page(page)
    if interaction is not None:
        updates = {"page": page_info}
        if verified is not None and verified.context:
            updates["context"] = verified.context
        Interaction.objects.filter(pk=interaction.pk).update(**updates)
    is_open = routing_allowed() and queue_is_open(wk.queue, timezone.now())
    # Nobody of the queue is signed in: say so and take a message, rather than "all agents are busy".
    members = list(wk.queue.members.values_list("user_id", "state"))
    staffed = any(state != AgentState.OFFLINE for _uid, state in members) or presence.any_signed_in(
        schema, [uid for uid, _state in members]
    )
    offline_reason = None if is_open and staffed else ("closed" if not is_open else "no_agents")
    welcome: dict[str, Any] = {
        "type": "welcome",
        "visitor_token": visitor_token(schema, wk.pk, contact.pk, visitor_id),
        "identity": identity_status,
        "contact": {"name": contact.name, "email": contact.email},
        "config": wk.as_config(),
        "offline": offline_reason is not None,
        "offline_reason": offline_reason,
        "interaction": interaction_state(interaction) if interaction else None,
        "messages": missed_messages(interaction.pk, last_seq) if interaction else [],
    }
    visit = Visit(
        key_id=wk.pk,
        contact_id=contact.pk,
        interaction_id=interaction.pk if interaction else None,
        context=verified.context if verified else {},
        page=page_info,
        attributes=verified.attributes if verified else {},
    )
    return visit, welcome


def interaction_state(interaction: Interaction) -> dict[str, Any]:
    position = queue_position(interaction)
    ewt = (
        estimated_wait_seconds(interaction.queue, position, interaction.channel)
        if position is not None and interaction.queue
        else None
    )
    agent = interaction.assignee
    return {
        "id": interaction.pk,
        "status": interaction.status,
        "routing_status": interaction.routing_status,
        "position": position,
        "ewt_seconds": ewt,
        "last_seq": interaction.last_seq,
        "agent": {"name": agent.display_name} if agent else None,
        "rated": interaction.csat_score is not None,
        "callback": _callback_state(interaction) if interaction.routing_status == "callback" else None,
    }


def _callback_state(interaction: Interaction) -> dict[str, Any] | None:
    """The callback the customer asked for after this conversation overflowed (the newest), if any."""
    callback = interaction.callbacks_requested.order_by("-pk").first()
    return None if callback is None else _callback_payload(callback)


def _callback_payload(callback: Any) -> dict[str, Any]:
    from apps.inbox.selectors import callback_position

    return {
        "id": callback.pk,
        "state": callback.state,
        "position": callback_position(callback),
        "phone": callback.phone,
        "attempts": callback.attempts,
        "next_attempt_at": callback.next_attempt_at.isoformat() if callback.next_attempt_at else None,
    }


def missed_messages(interaction_id: int, last_seq: Any) -> list[dict[str, Any]]:
    after = last_seq if isinstance(last_seq, int) and last_seq >= 0 else 0
    messages = (
        Message.objects.filter(interaction_id=interaction_id, seq__gt=after)
        .exclude(kind=Message.Kind.NOTE)
        .select_related("author", "attachment")
        .order_by("seq")
    )
    return [message_payload(m) for m in messages]


def do_customer_message(visit: Visit, body: Any, client_id: Any) -> tuple[Visit, Interaction]:
    """The customer wrote. The first message opens the conversation and routes it."""
    if not isinstance(body, str):
        raise ValidationFailed(_("Write a message."), fields={"body": [_("Must be text.")]})
    client = client_id if isinstance(client_id, str) else ""
    interaction = Interaction.objects.filter(pk=visit.interaction_id).first() if visit.interaction_id else None
    if interaction is None or interaction.status == Interaction.Status.RESOLVED:
        if not body.strip():
            raise ValidationFailed(_("Write a message."), fields={"body": [_("The message is empty.")]})
        if len(body) > 4000:
            raise ValidationFailed(
                _("Messages are limited to %(n)d characters.") % {"n": 4000}, fields={"body": [_("Too long.")]}
            )
        wk = WidgetKey.objects.select_related("queue").get(pk=visit.key_id)
        contact = Contact.objects.get(pk=visit.contact_id)
        if wk.prechat_form and not contact.name and visit.invitation is None:
            # The pre-chat form cannot be skipped by writing in the message box below it.
            raise ApplicationError(_("Tell us your name and email first."), code="prechat_required")
        typed = _routing_attributes(visit.attributes)
        with transaction.atomic():  # the conversation and its first message, or neither
            interaction = do_open_interaction(
                channel="chat",
                queue=_invitation_queue(visit) or wk.queue,
                contact=contact,
                attributes=typed,
                context=visit.context,
                page=visit.page,
                subject=body.strip()[:80],
            )
            _opened_by_invitation(visit, interaction)
            do_post_message(interaction, kind=Message.Kind.CUSTOMER, body=body, client_id=client)
        visit.interaction_id = interaction.pk
        interaction.refresh_from_db()
        return visit, interaction
    do_post_message(interaction, kind=Message.Kind.CUSTOMER, body=body, client_id=client)
    interaction.refresh_from_db()
    return visit, interaction


def do_accept_invitation(visit: Visit, token: Any) -> dict[str, Any]:
    """The visitor took a proactive invitation (shown by the engagement script on the site's page)."""
    accepted = None
    if isinstance(token, str):
        for answer in run_hooks("widget_invitation_accepted", token=token, visitor_id=_visitor_of(visit)):
            accepted = answer or accepted
    if accepted is None:
        raise ApplicationError(_("This invitation is no longer valid."), code="unknown_invitation", status=404)
    visit.invitation = accepted
    return {"type": "invitation.ok", "action": accepted["action"], "message": accepted["message"]}


def _invitation_queue(visit: Visit) -> Queue | None:
    queue_id = (visit.invitation or {}).get("queue_id")
    return Queue.objects.filter(pk=queue_id).first() if queue_id else None


def _opened_by_invitation(visit: Visit, interaction: Interaction) -> None:
    """Inside the transaction that opened it: journey links the invitation to the conversation."""
    if visit.invitation is not None:
        run_hooks("widget_conversation_opened", invitation_id=visit.invitation["id"], interaction=interaction)
        visit.invitation = None  # one conversation per invitation


def _routing_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Keep only signed attributes whose type fits what routing expects (others stay on the contact)."""
    from apps.routing.actions import check_attributes

    kept: dict[str, Any] = {}
    for key, value in attributes.items():
        try:
            check_attributes({key: value})
        except ValidationFailed:
            continue
        kept[key] = value
    return kept


def do_prechat(visit: Visit, name: Any, email: Any) -> dict[str, Any]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    fields: dict[str, list[str]] = {}
    name = name.strip()[:150] if isinstance(name, str) else ""
    email = email.strip().lower() if isinstance(email, str) else ""
    if not name:
        fields["name"] = [_("Tell us your name.")]
    try:
        validate_email(email)
    except ValidationError:
        fields["email"] = [_("Enter a valid email address.")]
    if fields:
        raise ValidationFailed(_("Please correct the errors below."), fields=fields)
    # The email is typed, not proven: it stays on this visitor's own contact (unverified) and never
    # finds another customer's contact (see ContactIdentity).
    contact = do_identify_contact(
        {ContactIdentity.Kind.VISITOR: _visitor_of(visit)},
        {"name": name, "email": email},
        claimed={ContactIdentity.Kind.EMAIL: email},
    )
    visit.contact_id = contact.pk
    return {"type": "prechat.ok", "contact": {"name": contact.name, "email": contact.email}}


def _visitor_of(visit: Visit) -> str:
    identity = ContactIdentity.objects.filter(contact_id=visit.contact_id, kind=ContactIdentity.Kind.VISITOR).first()
    return identity.value if identity else ""


def do_offline_message(visit: Visit, name: Any, email: Any, body: Any) -> dict[str, Any]:
    """Outside business hours: the message waits as a pending email thread for the team."""
    do_prechat(visit, name, email)
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(_("Write a message."), fields={"body": [_("The message is empty.")]})
    wk = WidgetKey.objects.select_related("queue").get(pk=visit.key_id)
    with transaction.atomic():
        interaction = do_open_interaction(
            channel="email",
            queue=wk.queue,
            contact=Contact.objects.get(pk=visit.contact_id),
            subject=body.strip()[:80],
            status=Interaction.Status.PENDING,
            allow_closed=True,
        )
        do_post_message(interaction, kind=Message.Kind.CUSTOMER, body=body)
    return {"type": "offline.ok"}


def do_widget_csat(visit: Visit, score: Any, comment: Any) -> dict[str, Any]:
    if not visit.interaction_id:
        raise ApplicationError(_("There is no conversation to rate."), code="no_conversation", status=409)
    interaction = Interaction.objects.get(pk=visit.interaction_id)
    do_record_csat(interaction, score, comment if comment is not None else "")
    return {"type": "csat.ok"}


def visit_interaction(visit: Visit) -> Interaction | None:
    if not visit.interaction_id:
        return None
    return Interaction.objects.select_related("queue", "assignee").filter(pk=visit.interaction_id).first()


def do_widget_call(visit: Visit, mode: Any) -> Any:
    """Start a call from the widget; from a running chat, the call carries on its case and agent."""
    from apps.media.actions import do_start_call

    wk = WidgetKey.objects.select_related("queue").get(pk=visit.key_id)
    contact = Contact.objects.get(pk=visit.contact_id)
    chat = Interaction.objects.filter(pk=visit.interaction_id).first() if visit.interaction_id else None
    upgrade = chat if chat is not None and chat.status != Interaction.Status.RESOLVED else None
    with transaction.atomic():
        call = do_start_call(
            contact=contact,
            queue=_invitation_queue(visit) or wk.queue,
            mode=mode,
            context=visit.context or (upgrade.context if upgrade else {}),
            page=visit.page,
            attributes=_routing_attributes(visit.attributes),
            from_interaction=upgrade,
        )
        if upgrade is None:
            _opened_by_invitation(visit, Interaction.objects.get(pk=call.interaction_id))
    return call


def call_queue_state(call_id: str) -> dict[str, Any]:
    from apps.media.models import Call

    call = Call.objects.select_related("interaction__queue", "interaction__assignee").get(call_id=call_id)
    return interaction_state(call.interaction)


def call_start_state(call: Any) -> dict[str, Any]:
    return call_queue_state(call.call_id)


# --- widget keys (settings) -----------------------------------------------------------------------

WIDGET_KEY_FIELDS = ("name", "queue", "allowed_origins", "enabled", "prechat_form", "greeting", "greetings")


def check_greetings(value: Any) -> dict[str, str]:
    """{language code: greeting} for the product's languages; an empty text removes one."""
    from django.conf import settings

    codes = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, dict):
        raise ValidationFailed(
            _("Greetings must be an object of language codes and texts."),
            fields={"greetings": [_('Expected an object such as {"zh-hans": "..."}.')]},
        )
    cleaned: dict[str, str] = {}
    problems: list[str] = []
    for code, text in value.items():
        key = str(code).lower()
        if key not in codes:
            problems.append(
                _("%(code)s is not a language of the product (%(codes)s).")
                % {"code": code, "codes": ", ".join(sorted(codes))}
            )
        elif not isinstance(text, str) or len(text) > 200:
            problems.append(_("The greeting in %(code)s must be a text of at most 200 characters.") % {"code": key})
        elif text.strip():
            cleaned[key] = text.strip()
    if problems:
        raise ValidationFailed(_("Check the greetings."), fields={"greetings": problems})
    return cleaned


def _clean_key_fields(fields: dict[str, Any]) -> dict[str, Any]:
    from .origins import check_allowed_origins

    unknown = set(fields) - set(WIDGET_KEY_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields."), fields={k: [_("Not a widget key setting.")] for k in unknown})
    cleaned = dict(fields)
    if "allowed_origins" in cleaned:
        cleaned["allowed_origins"] = check_allowed_origins(cleaned["allowed_origins"])
    if "greetings" in cleaned:
        cleaned["greetings"] = check_greetings(cleaned["greetings"])
    return cleaned


def do_create_widget_key(actor: Any, **fields: Any) -> WidgetKey:
    """A new key for a site or app (an admin's). Origins are stored normalised."""
    from apps.accounts.audit import record_audit

    cleaned = _clean_key_fields(fields)
    with transaction.atomic():
        wk = WidgetKey.objects.create(**cleaned)
        record_audit(actor, "widget_key.created", wk, name=wk.name, allowed_origins=wk.allowed_origins)
    return wk


def do_update_widget_key(actor: Any, wk: WidgetKey, **fields: Any) -> WidgetKey:
    from apps.accounts.audit import record_audit

    cleaned = _clean_key_fields(fields)
    with transaction.atomic():
        locked = WidgetKey.objects.select_for_update().get(pk=wk.pk)
        for key, value in cleaned.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(cleaned) or None)
        changed = {k: (v.pk if hasattr(v, "pk") else v) for k, v in cleaned.items()}
        record_audit(actor, "widget_key.updated", locked, **changed)
    return locked


def do_widget_callback(visit: Visit, phone: Any) -> dict[str, Any]:
    """The customer leaves their number after the queue offered a callback (`interaction.callback_offered`):
    the callback keeps the place of their waiting conversation. Answers `callback.ok` with its position."""
    from apps.inbox.actions.callbacks import do_request_callback

    interaction = visit_interaction(visit)
    if (
        interaction is None
        or interaction.queue is None
        or interaction.routing_status != Interaction.RoutingStatus.CALLBACK
    ):
        raise ApplicationError(_("No callback was offered here."), code="no_callback_offered", status=409)
    callback, _created = do_request_callback(
        queue=interaction.queue,
        phone=phone if isinstance(phone, str) else "",
        contact=interaction.contact,
        source_interaction=interaction,
    )
    return {"type": "callback.ok", "callback": _callback_payload(callback)}
