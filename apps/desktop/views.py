"""The agent desktop page: what it needs to boot (the user, their agent profile, reason codes and the
inbox's directory); everything live comes over its socket (`consumers.DesktopConsumer`)."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import ReasonCode
from apps.inbox.selectors import directory


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
    return render(request, "desktop/desktop.html", {"boot": boot})
