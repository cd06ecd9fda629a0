"""Writes that span the apps the desktop composes: accepting an offer that brings a call answers the
call in the same transaction (routing cannot know calls; media sits above routing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.media.actions import CALL_CHANNELS, call_payload, do_answer_call
from apps.routing.actions import do_accept_offer


def do_accept_offer_and_answer(offer_id: int, user: User) -> dict[str, Any]:
    """Accept the offer; for a call, answer it too, so a call that ended meanwhile is not accepted.
    Returns what `offer.accept.ok` carries: the interaction, and the call when there is one."""
    with transaction.atomic():
        interaction = do_accept_offer(offer_id, user)
        if interaction.channel not in CALL_CHANNELS:
            return {"interaction_id": interaction.pk}
        call = do_answer_call(interaction, user)
        if call is None:
            return {"interaction_id": interaction.pk}
        return {"interaction_id": interaction.pk, "call": call_payload(call)}
