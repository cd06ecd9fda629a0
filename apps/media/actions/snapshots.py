"""Snapshots: a still of the customer's video, taken by an agent in the call."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.inbox.actions import do_post_message, do_store_attachment
from apps.inbox.models import Interaction, Message

from ..models import CallEvent, CallParty
from .calls import _event, _locked, agent_party


def do_store_snapshot(call_id: Any, user: User, upload: Any) -> Message:
    """A still the agent took of the customer's video (claims, inspections): an attachment of the
    interaction, shown to the agents as a private note."""
    with transaction.atomic():
        call = _locked(call_id)
        if not CallParty.objects.filter(call=call, user=user, left_at__isnull=True).exists():
            raise PermissionDenied(_("You are not in this call."))
        if upload is None:
            raise ValidationFailed(_("Send the picture."), fields={"file": [_("Required.")]})
        if (getattr(upload, "content_type", "") or "").split(";")[0] not in {"image/jpeg", "image/png"}:
            raise ValidationFailed(
                _("A snapshot must be a JPEG or PNG picture."), fields={"file": [_("Not a picture.")]}
            )
        interaction = Interaction.objects.get(pk=call.interaction_id)
        attachment = do_store_attachment(interaction, upload)
        message = do_post_message(
            interaction,
            kind=Message.Kind.NOTE,
            body=_("Snapshot from the call"),
            author=user,
            attachment=attachment,
        )
        _event(call, CallEvent.Kind.SNAPSHOT, agent_party(user.pk), attachment_id=attachment.pk)
    return message
