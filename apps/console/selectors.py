"""What the console pages read: the onboarding checklist of a new business and the warnings about
a setup that would leave customers unanswered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.billing.gateway import billing_enabled
from apps.billing.models import BillingAccount
from apps.inbox.models import Interaction
from apps.routing.models import Queue
from apps.widget.models import WidgetKey


@dataclass(frozen=True)
class Step:
    key: str
    label: Any
    done: bool
    url: str


def onboarding(tenant: Any) -> list[Step]:
    """The checklist of a new business; each step ticks itself when what it asks for exists."""
    if billing_enabled():
        account = BillingAccount.objects.filter(tenant=tenant).first()
        billed = account is not None and account.has_subscription
    else:
        billed = True  # billing is off on this deployment: nothing to set up
    return [
        Step(
            "queue",
            _("Put someone in a queue"),
            Queue.objects.filter(members__isnull=False).exists(),
            reverse("settings-queues"),
        ),
        Step(
            "agent",
            _("Invite an agent"),
            User.objects.filter(role=User.Role.AGENT, is_active=True).exists(),
            "/team/",
        ),
        Step(
            "widget",
            _("Add the chat to your website"),
            WidgetKey.objects.filter(last_seen_at__isnull=False).exists(),
            "/settings/widget/",
        ),
        Step(
            "conversation",
            _("Have a test conversation"),
            Interaction.objects.exists(),
            "/desktop/",
        ),
        Step("billing", _("Choose a plan"), billed, "/billing/"),
    ]


def setup_warnings() -> dict[str, list[str]]:
    """Queues nobody answers, and agents who answer no queue (the owner, who has an agent profile
    from the start but may never take work, is not nagged about it)."""
    empty = list(Queue.objects.annotate(n=Count("members")).filter(n=0).order_by("name").values_list("name", flat=True))
    idle = [
        agent.user.display_name
        for agent in AgentProfile.objects.filter(queues__isnull=True, user__is_active=True)
        .exclude(user__role=User.Role.OWNER)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ]
    return {"empty_queues": empty, "agents_without_queue": idle}
