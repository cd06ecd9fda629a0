"""Give interactions made before the interaction record their segments, from the rows that hold the
facts: offers, call events, and the routing timestamps on the interaction. Never from message text
(a chat transferred before this migration has no transfer segment: only its system message said so).

Each backfilled segment carries `"backfilled": true` in its data. Idempotent: an interaction that
already has segments is left alone."""


from django.db import migrations

BATCH = 500


def _add(segments, interaction, kind, started, ended=None, outcome="", agent_id=None, offer_id=None, data=None):
    if ended is not None and ended < started:
        ended = started
    segments.append(
        {
            "interaction_id": interaction.pk,
            "kind": kind,
            "started_at": started,
            "ended_at": ended,
            "outcome": outcome,
            "channel": interaction.channel,
            "direction": getattr(interaction, "direction", "inbound") or "inbound",
            "queue_id": interaction.queue_id,
            "agent_id": agent_id,
            "offer_id": offer_id,
            "data": {"backfilled": True, **(data or {})},
        }
    )


def _hold_within(holds, start, end):
    total = 0.0
    for hold_start, hold_end in holds:
        lo, hi = max(hold_start, start), min(hold_end or end, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total


def segments_for(interaction, offers, call, call_events, agent_of_user):
    segments: list[dict] = []
    status = interaction.routing_status
    for offer in offers:
        if offer.status == "pending":
            continue
        _add(
            segments,
            interaction,
            "offer",
            offer.created_at,
            offer.decided_at or offer.expires_at,
            offer.status,
            agent_id=offer.agent_id,
            offer_id=offer.pk,
        )
    if interaction.queue_id is not None:
        start = interaction.enqueued_at
        if status in ("assigned", "completed") and interaction.assigned_at:
            _add(segments, interaction, "queue", start, interaction.assigned_at, "answered")
        elif status == "abandoned":
            _add(segments, interaction, "queue", start, interaction.ended_at or start, "abandoned")
        elif status == "overflowed":
            _add(segments, interaction, "queue", start, start, "flowed_out")
        elif status == "callback":
            _add(segments, interaction, "queue", start, interaction.ended_at or start, "callback_requested")
        elif status in ("queued", "offered"):
            _add(segments, interaction, "queue", start)
        for seg in segments:
            if seg["kind"] == "queue" and seg["ended_at"] is not None:
                seg["data"]["wait_seconds"] = round((seg["ended_at"] - seg["started_at"]).total_seconds(), 3)
    holds = []
    if call is not None:
        held_at, held_by = None, None
        for event in call_events:
            if event.kind == "held":
                held_at, held_by = event.at, agent_of_user(event.party)
            elif event.kind in ("resumed", "ended") and held_at is not None:
                end = event.at if event.kind == "resumed" else (call.ended_at or event.at)
                holds.append((held_at, end))
                _add(
                    segments,
                    interaction,
                    "hold",
                    held_at,
                    end,
                    "resumed" if event.kind == "resumed" else "ended",
                    agent_id=held_by,
                )
                held_at = None
            elif event.kind == "transferred":
                _add(
                    segments,
                    interaction,
                    "transfer",
                    event.at,
                    event.at,
                    event.data.get("how", "blind"),
                    agent_id=agent_of_user(event.party),
                    data={"to": event.data.get("to")},
                )
            elif event.kind == "joined" and event.data.get("role") == "guest":
                left = next(
                    (e.at for e in call_events if e.kind in ("left", "ended") and e.at >= event.at and (
                        e.kind == "ended" or e.party == event.party)),
                    None,
                )
                _add(
                    segments,
                    interaction,
                    "handling",
                    event.at,
                    left,
                    ("left" if left is not None else ""),
                    agent_id=agent_of_user(event.party),
                    data={"role": "conference"},
                )
        if held_at is not None:
            holds.append((held_at, None))
            _add(segments, interaction, "hold", held_at, agent_id=held_by)
    if interaction.assigned_at and interaction.assigned_agent_id and status in ("assigned", "completed"):
        end = interaction.ended_at if status == "completed" else None
        data = {}
        if end is not None:
            hold = _hold_within(holds, interaction.assigned_at, end)
            data = {
                "hold_seconds": round(hold, 3),
                "talk_seconds": round(max((end - interaction.assigned_at).total_seconds() - hold, 0.0), 3),
            }
        _add(
            segments,
            interaction,
            "handling",
            interaction.assigned_at,
            end,
            "completed" if end is not None else "",
            agent_id=interaction.assigned_agent_id,
            data=data,
        )
    return segments


def backfill(apps, schema_editor):
    Interaction = apps.get_model("inbox", "Interaction")
    Segment = apps.get_model("inbox", "Segment")
    Offer = apps.get_model("routing", "Offer")
    AgentProfile = apps.get_model("agents", "AgentProfile")
    try:
        Call = apps.get_model("media", "Call")
        CallEvent = apps.get_model("media", "CallEvent")
    except LookupError:  # media not migrated yet in this state
        Call = CallEvent = None
    agents_by_user = dict(AgentProfile.objects.values_list("user_id", "pk"))

    def agent_of_user(party):
        head, _sep, tail = (party or "").partition("-")
        return agents_by_user.get(int(tail)) if head == "agent" and tail.isdigit() else None

    done = set(Segment.objects.values_list("interaction_id", flat=True).distinct())
    last = 0
    while True:
        batch = list(Interaction.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        ids = [i.pk for i in batch if i.pk not in done]
        offers: dict[int, list] = {}
        for offer in Offer.objects.filter(interaction_id__in=ids).order_by("created_at", "pk"):
            offers.setdefault(offer.interaction_id, []).append(offer)
        calls, events = {}, {}
        if Call is not None:
            calls = {c.interaction_id: c for c in Call.objects.filter(interaction_id__in=ids)}
            for event in CallEvent.objects.filter(interaction_id__in=ids).order_by("at", "pk"):
                events.setdefault(event.interaction_id, []).append(event)
        rows = []
        for interaction in batch:
            if interaction.pk in done:
                continue
            for seg in segments_for(
                interaction,
                offers.get(interaction.pk, []),
                calls.get(interaction.pk),
                events.get(interaction.pk, []),
                agent_of_user,
            ):
                rows.append(Segment(**seg))
        Segment.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0008_interaction_record"),
        ("media", "0002_calls"),
        ("routing", "0003_queue_require_disposition_queue_require_note"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
