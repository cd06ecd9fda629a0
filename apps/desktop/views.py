"""The agent desktop page: what it needs to boot (the user, their agent profile, reason codes and the
inbox's directory, and the strings its scripts show); everything live comes over its socket
(`consumers.DesktopConsumer`)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import Channel, ReasonCode
from apps.inbox.models import Interaction
from apps.inbox.selectors import colleagues, directory


def catalogue() -> dict[str, Any]:
    """The strings the desktop's scripts show, translated for this request. Embedded with json_script:
    a translation is data, so a quote in one cannot break (or write) script."""
    return {
        "live": _("Live"),
        "offline": _("Reconnecting…"),
        "away": _("Away"),
        "sent": _("Sent"),
        "transferred": _("Transferred."),
        "resolved": _("Resolved."),
        "newOffer": _("New conversation waiting"),
        "readOnly": _("This conversation is resolved: it can be read, not answered."),
        "noConversations": _("No conversations here."),
        "viewMail": _("View the mail"),
        "notDelivered": _("not delivered"),
        "forward": _("Forward"),
        "forwarded": _("Forwarded."),
        "signature": _("Signature added when sent:"),
        # A messaging conversation: the provider's delivery state of each answer.
        "delivery": {
            "queued": _("Sending…"),
            "sent": _("Sent"),
            "delivered": _("Delivered"),
            "read": _("Read"),
            "failed": _("Not delivered"),
        },
        "templateSent": _("Template sent."),
        "fields": {
            "name": _("Name"),
            "email": _("Email"),
            "phone": _("Phone"),
            "queue": _("Queue"),
            "case": _("Case"),
            "page": _("Page"),
            "context": _("Context"),
            "previous": _("Previous conversations"),
            "unverified": _("(unverified)"),
        },
        # Channel and status words as people read them (the API's values are codes).
        "channels": {str(value): str(label) for value, label in Channel.choices},
        "statuses": {str(value): str(label) for value, label in Interaction.Status.choices},
        "journey": {
            "title": _("Journey"),
            "last": _("Last contact"),
            "conversations": _("Conversations"),
            "openCases": _("Open cases"),
            "visits": _("Web visits"),
            "visit": _("Web visit, pages: %(n)s"),
            "cart": _("cart %(v)s"),
            "full": _("Full journey"),
            "invited": _("Invited proactively by the rule “%(rule)s”"),
            "sentiment": {
                "positive": _("customer positive"),
                "neutral": _("customer neutral"),
                "negative": _("customer negative"),
            },
            "ended": {
                "positive": _("ended positive"),
                "neutral": _("ended neutral"),
                "negative": _("ended negative"),
            },
            "analysis": _("Analysis"),
            "topics": _("Topics"),
            "keywords": _("Keywords"),
            "outcomes": {
                "resolved": _("resolved"),
                "abandoned": _("abandoned"),
                "waiting": _("waiting"),
                "open": _("open"),
            },
        },
        "presence": {
            "available": _("available"),
            "busy": _("busy"),
            "away": _("away"),
            "offline": _("offline"),
        },
        "call": {
            "talking": _("Talking with %(name)s"),
            "held": _("On hold"),
            "ended": _("Call ended"),
            "waiting": _("Waiting for an agent"),
            "mediaLost": _("The call was cut off: the media server was lost."),
            "invited": _("%(by)s invites you to a call with %(customer)s."),
            "snapshot": _("Snapshot saved to the conversation."),
            "noVideo": _("There is no video to capture."),
            "mute": _("Mute"),
            "unmute": _("Unmute"),
            "hold": _("Hold"),
            "resume": _("Resume"),
            "share": _("Share screen"),
            "stopShare": _("Stop sharing"),
            "inCall": _("In the call"),
            "calls": _("Calls"),
            "transferred": _("Call transferred."),
            "invitedOk": _("Invitation sent."),
            "talk": _("talk"),
            "wait": _("wait"),
            "hold_": _("hold"),
            "recording": _("Recording"),
            "incomplete": _("(recovered, may be incomplete)"),
            "queue": _("Queue"),
            "noDevice": _("Microphone or camera unavailable: %(e)s"),
            "customer": _("the customer"),
        },
    }


@login_required
def desktop(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    agent = ensure_agent_profile(user)
    boot = {
        "user": {"id": user.pk, "name": user.display_name, "role": user.role, "manager": user.is_manager},
        "agent": {"id": agent.pk, "state": agent.state},
        "reasons": [{"id": r.pk, "name": r.name} for r in ReasonCode.objects.order_by("name")],
        **directory(),
    }
    # Embedded with json_script: names, canned-response titles and the rest are data, never markup.
    return render(request, "desktop/desktop.html", {"boot": boot, "i18n": catalogue()})


@login_required
@require_GET
def colleagues_presence(request: HttpRequest) -> JsonResponse:
    """Every agent's presence now (the transfer and invite dialogs refresh it while they are open)."""
    return JsonResponse({"agents": colleagues()})
