"""Taking an interaction's locks in the global order (apps/core/locks.py): its pending offers, then
the interaction. Apps above routing (media, inbox, desktop) call this before they lock a call or an
agent, so that, say, a hang-up and an accept of the same call queue on the same first lock instead of
each holding what the other waits for."""

from __future__ import annotations

import time

from django.db import OperationalError, transaction

from apps.core.locks import lock_rows
from apps.inbox.models import Interaction

from .models import Offer

ATTEMPTS = 50
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's error for NOWAIT on a row someone holds


def lock_interaction(interaction_id: int) -> tuple[list[Offer], Interaction | None]:
    """Lock the interaction's pending offers (by id), then the interaction. Returns both (None when the
    interaction does not exist). Precondition: inside `transaction.atomic()`.

    An offer made between reading the pending offers and locking the interaction (the engine makes
    offers while holding the interaction) is locked without waiting: its owner may be accepting it
    and waiting for the interaction we hold. If it is busy, everything taken here is let go (a
    savepoint) and we start again; the accept finishes first."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                pending = Offer.objects.filter(interaction_id=interaction_id, status=Offer.Status.PENDING)
                offers = lock_rows(pending)
                interaction = Interaction.objects.select_for_update(of=("self",)).filter(pk=interaction_id).first()
                held = {o.pk for o in offers}
                late = pending.exclude(pk__in=held)
                if interaction is not None and late.exists():
                    offers += list(late.select_for_update(of=("self",), nowait=True).order_by("pk"))
                return offers, interaction
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.002 * (attempt + 1))
    raise AssertionError("unreachable")
