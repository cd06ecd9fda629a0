"""Reads of the inbox: the agent's lists, one conversation with its customer, the directory."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.accounts.models import User
from apps.agents.models import CHANNELS, AgentProfile, AgentState

from .models import Callback, CannedResponse, Contact, ContactIdentity, Disposition, Interaction, Message, Segment

VIEWS = ("mine", "queues", "all")


def inbox(
    user: User, view: str = "mine", *, status: str | None = None, channel: str | None = None, label: str | None = None
) -> QuerySet[Interaction]:
    qs = Interaction.objects.select_related("contact", "queue", "assignee")
    if view == "all" and user.is_manager:
        pass
    elif view == "queues":
        queue_ids = list(AgentProfile.objects.filter(user=user).values_list("queues", flat=True))
        qs = qs.filter(Q(queue_id__in=[q for q in queue_ids if q]) | Q(assignee=user))
    else:
        qs = qs.filter(assignee=user)
    if status:
        qs = qs.filter(status=status)
    elif view == "mine":
        qs = qs.exclude(status=Interaction.Status.RESOLVED)
    if channel:
        qs = qs.filter(channel=channel)
    if label:
        qs = qs.filter(labels__contains=[label])
    # Customer messages after what the assignee has read (InboxFrames.on_read).
    unread = (
        Message.objects.filter(
            interaction=OuterRef("pk"), kind=Message.Kind.CUSTOMER, seq__gt=OuterRef("agent_read_seq")
        )
        .order_by()
        .values("interaction")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = qs.annotate(unread=Coalesce(Subquery(unread), 0))
    return qs.order_by("-created_at")[:200]  # type: ignore[return-value]


def interaction_row(i: Interaction) -> dict[str, Any]:
    return {
        "id": i.pk,
        "channel": i.channel,
        "status": i.status,
        "routing_status": i.routing_status,
        "subject": i.subject,
        "labels": i.labels,
        "queue": i.queue.name if i.queue else None,
        "contact": str(i.contact) if i.contact else None,
        "created_at": i.created_at.isoformat(),
        "assignee": i.assignee.display_name if i.assignee else None,
        "last_seq": i.last_seq,
        # For the assignee's list: customer messages they have not read (list rows only).
        "unread": getattr(i, "unread", None),
    }


def interaction_detail(i: Interaction) -> dict[str, Any]:
    contact = i.contact
    previous = []
    if contact is not None:
        previous = [
            interaction_row(p)
            for p in Interaction.objects.filter(contact=contact)
            .exclude(pk=i.pk)
            .select_related("contact", "queue", "assignee")
            .order_by("-created_at")[:20]
        ]
    return {
        **interaction_row(i),
        "case_id": str(i.case_id),
        "attributes": i.attributes,
        "context": i.context,
        "page": i.page,
        "disposition": i.disposition.name if i.disposition else None,
        "csat": {"score": i.csat_score, "comment": i.csat_comment} if i.csat_score else None,
        "require": {
            "disposition": bool(i.queue and i.queue.require_disposition),
            "note": bool(i.queue and i.queue.require_note),
        },
        "contact": None
        if contact is None
        else {
            "id": contact.pk,
            # How the inbox list names them ("Visitor 3" until they say who they are).
            "display": str(contact),
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "attributes": contact.attributes,
            # Unverified ones were typed by the visitor (the widget's pre-chat email): not proof.
            "identities": [
                {"kind": x.kind, "value": x.value, "verified": x.verified} for x in contact.identities.all()
            ],
        },
        "previous": previous,
    }


def agent_presence(agent: AgentProfile) -> str:
    """What a colleague sees of an agent: available, busy (in wrap-up, or full in a channel: a call
    fills voice), away or offline."""
    if agent.state in (AgentState.OFFLINE, AgentState.AWAY):
        return str(agent.state)
    if agent.state == AgentState.WRAP_UP or any(0 < agent.capacity(c) <= agent.load(c) for c in CHANNELS):
        return "busy"
    return "available"


def colleagues() -> list[dict[str, Any]]:
    """Every active agent with their presence (the desktop's transfer and invite lists)."""
    agents = AgentProfile.objects.select_related("user").filter(user__is_active=True).order_by("user__email")
    return [
        {"id": a.pk, "user_id": a.user_id, "name": a.user.display_name, "state": a.state, "presence": agent_presence(a)}
        for a in agents
    ]


def directory() -> dict[str, Any]:
    from apps.routing.models import Queue

    return {
        "agents": colleagues(),
        "queues": [{"id": q.pk, "name": q.name} for q in Queue.objects.order_by("name")],
        "dispositions": [{"id": d.pk, "name": d.name} for d in Disposition.objects.order_by("name")],
        "canned": [
            {"shortcut": c.shortcut, "title": c.title, "body": c.body}
            for c in CannedResponse.objects.order_by("shortcut")
        ],
    }


def assigned_open_ids(user_id: int) -> list[int]:
    """The conversations assigned to this user that are not resolved (their desktop follows them)."""
    return list(
        Interaction.objects.filter(assignee_id=user_id)
        .exclude(status=Interaction.Status.RESOLVED)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def segment_row(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "kind": segment.kind,
        "started_at": segment.started_at.isoformat(),
        "ended_at": segment.ended_at.isoformat() if segment.ended_at else None,
        "seconds": round(segment.seconds, 3) if segment.seconds is not None else None,
        "channel": segment.channel,
        "direction": segment.direction,
        "queue": {"id": segment.queue_id, "name": segment.queue.name} if segment.queue_id and segment.queue else None,
        "agent": (
            {"id": segment.agent_id, "name": segment.agent.user.display_name}
            if segment.agent_id and segment.agent
            else None
        ),
        "outcome": segment.outcome or None,
        "offer_id": segment.offer_id,
        "data": segment.data,
    }


def interaction_segments(interaction_id: int) -> list[Segment]:
    """The interaction record: every segment of the interaction, oldest first (the one place to read
    what happened to an interaction; journey and reporting build on it)."""
    return list(
        Segment.objects.filter(interaction_id=interaction_id)
        .select_related("queue", "agent__user")
        .order_by("started_at", "pk")
    )


def interaction_record(interaction: Interaction) -> dict[str, Any]:
    return {
        "interaction_id": interaction.pk,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "case_id": str(interaction.case_id),
        "segments": [segment_row(s) for s in interaction_segments(interaction.pk)],
    }


# --- contacts -------------------------------------------------------------------------------------


def visible_contacts(user: User) -> QuerySet[Contact]:
    """The contacts `user` may read: supervisors and up every one; an agent those they work with (a
    conversation assigned to them now, or one they were offered or handled, per the record)."""
    contacts = Contact.objects.filter(merged_into__isnull=True)
    if user.is_manager:
        return contacts
    worked = Interaction.objects.filter(Q(assignee=user) | Q(segments__agent__user=user)).values("contact_id")
    return contacts.filter(pk__in=worked)


def can_read_contact(user: User, contact: Contact) -> bool:
    return visible_contacts(user).filter(pk=contact.pk).exists() or (
        user.is_manager and contact.merged_into_id is not None
    )


def search_contacts(contacts: QuerySet[Contact], q: str) -> QuerySet[Contact]:
    """By name or email (contains, any case), phone (digits contained) or any identity's value
    (the customer id, exactly). Newest first."""
    q = q.strip()[:254]
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        match = Q(name__icontains=q) | Q(email__icontains=q) | Q(identities__value__iexact=q)
        if len(digits) >= 4:
            match |= Q(phone__contains=digits)
        contacts = contacts.filter(pk__in=Contact.objects.filter(match).values("pk"))
    return contacts.order_by("-created_at", "-pk")


def contact_payload(contact: Contact) -> dict[str, Any]:
    identities = sorted(contact.identities.all(), key=lambda i: (i.kind, i.value))
    external = next((i.value for i in identities if i.kind == ContactIdentity.Kind.EXTERNAL and i.verified), "")
    return {
        "id": contact.pk,
        "name": contact.name,
        "display_name": str(contact),
        "email": contact.email,
        "phone": contact.phone,
        "external_id": external,
        "attributes": contact.attributes,
        "identities": [{"kind": i.kind, "value": i.value, "verified": i.verified} for i in identities],
        "created_at": contact.created_at.isoformat(),
        "merged_into": contact.merged_into_id,
    }


def merge_suggestions(contact: Contact, limit: int = 10) -> list[dict[str, Any]]:
    """Other contacts that are probably this customer: they hold one of its identities (an email typed
    into the pre-chat form that another contact proved, the same phone number, the same id on a
    messaging channel) or have the same email or phone on their profile. Never merged ones."""
    mine = list(contact.identities.values_list("kind", "value"))
    if contact.email:
        mine.append((ContactIdentity.Kind.EMAIL, contact.email.lower()))
    if contact.phone:
        mine.append((ContactIdentity.Kind.PHONE, contact.phone))
    shared = Q(pk__in=[])
    for kind, value in set(mine):
        shared |= Q(identities__kind=kind, identities__value=value)
        if kind == ContactIdentity.Kind.EMAIL:
            shared |= Q(email__iexact=value)
        elif kind == ContactIdentity.Kind.PHONE:
            shared |= Q(phone=value)
    if not mine:
        return []
    others = (
        Contact.objects.filter(shared, merged_into__isnull=True)
        .exclude(pk=contact.pk)
        .distinct()
        .annotate(conversations=Count("interactions", distinct=True))
        .prefetch_related("identities")
        .order_by("-conversations", "pk")[:limit]
    )
    keys = set(mine)
    result = []
    for other in others:
        theirs = {(i.kind, i.value) for i in other.identities.all()}
        theirs |= {(ContactIdentity.Kind.EMAIL, other.email.lower())} if other.email else set()
        theirs |= {(ContactIdentity.Kind.PHONE, other.phone)} if other.phone else set()
        result.append(
            {
                "id": other.pk,
                "display_name": str(other),
                "conversations": other.conversations,  # type: ignore[attr-defined]
                "shared": [{"kind": k, "value": v} for k, v in sorted(keys & theirs)],
            }
        )
    return result


def callback_position(callback: Callback) -> int | None:
    """Where a waiting callback stands in its queue (1: next), counting the interactions that wait
    before it (higher priority, or the same and enqueued earlier); None when it is not waiting."""
    if callback.state != Callback.State.QUEUED or callback.interaction_id is None:
        return None
    waiting = Interaction.objects.filter(
        queue_id=callback.queue_id,
        routing_status__in=(Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED),
    ).exclude(pk=callback.interaction_id)
    ahead = waiting.filter(
        Q(priority__gt=callback.priority) | Q(priority=callback.priority, enqueued_at__lt=callback.place_at)
    ).count()
    return ahead + 1


def callback_payload(callback: Callback) -> dict[str, Any]:
    interaction = callback.interaction
    state = callback.state
    if state == "queued" and interaction is not None and interaction.routing_status == "offered":
        state = "offered"  # ringing at an agent's desktop
    return {
        "id": callback.pk,
        "state": state,
        "position": callback_position(callback),
        "phone": callback.phone,
        "queue": callback.queue_id,
        "contact": callback.contact_id,
        "interaction": callback.interaction_id,
        "scheduled_at": callback.scheduled_at.isoformat() if callback.scheduled_at else None,
        "next_attempt_at": callback.next_attempt_at.isoformat() if callback.next_attempt_at else None,
        "attempts": callback.attempts,
        "max_attempts": callback.max_attempts,
        "created_at": callback.created_at.isoformat(),
        "ended_at": callback.ended_at.isoformat() if callback.ended_at else None,
    }
