"""Writes of the media app: calls (`calls`), bringing colleagues in (`transfers`), snapshots and recordings."""

from .calls import (
    CALL_CHANNELS,
    Seat,
    call_group,
    call_payload,
    check_seat,
    do_answer_call,
    do_end_call_by_system,
    do_hold_call,
    do_join_call,
    do_leave_call,
    do_set_call_mode,
    do_set_party_flag,
    do_start_call,
    is_live_party,
    party_group,
)
from .identity import (
    consent_statement,
    do_add_identity_step,
    do_decide_identity_check,
    do_start_identity_check,
)
from .recordings import do_store_recording, recording_name
from .snapshots import do_store_snapshot
from .transfers import do_invite_to_call, do_transfer_call

__all__ = [
    "CALL_CHANNELS",
    "Seat",
    "call_group",
    "call_payload",
    "check_seat",
    "consent_statement",
    "do_add_identity_step",
    "do_answer_call",
    "do_decide_identity_check",
    "do_end_call_by_system",
    "do_hold_call",
    "do_invite_to_call",
    "do_join_call",
    "do_leave_call",
    "do_set_call_mode",
    "do_set_party_flag",
    "do_start_call",
    "do_start_identity_check",
    "do_store_recording",
    "do_store_snapshot",
    "do_transfer_call",
    "is_live_party",
    "party_group",
    "recording_name",
]
