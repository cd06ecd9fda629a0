"""A received mail as it was written: its sender, recipients and subject, and its HTML (sanitised when
it arrived) in a sandboxed frame that runs nothing, with the mail's own inline images shown and remote
images held back (loading them would tell the sender the mail was read)."""

from __future__ import annotations

import re
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.core.errors import PermissionDenied
from apps.inbox.actions import check_can_work_on

from .models import Email

CID = re.compile(r"""src=(["'])cid:([^"']+)\1""", re.IGNORECASE)
REMOTE = re.compile(r"""<img\b([^>]*?)\bsrc=(["'])(https?:[^"']*)\2""", re.IGNORECASE)


def shown_html(email: Email) -> tuple[str, int]:
    """The HTML with cid: images pointing at their attachments and remote images held back (how many)."""

    def inline(found: re.Match[str]) -> str:
        attachment = email.inline.get(found.group(2))
        return f'src="{reverse("attachment", args=[attachment])}"' if attachment else 'src=""'

    html = CID.sub(inline, email.html)
    held = len(REMOTE.findall(html))
    return REMOTE.sub(lambda m: f"<img{m.group(1)}data-held-src={m.group(2)}{m.group(3)}{m.group(2)}", html), held


@login_required
@require_GET
def email_original(request: HttpRequest, pk: int) -> HttpResponse:
    email = Email.objects.select_related("interaction", "message").filter(pk=pk).first()
    missing = {"title": _("Not found"), "message": _("No such mail."), "status": 404}
    if email is None or email.interaction is None:
        return render(request, "core/error.html", missing, status=404)
    try:
        check_can_work_on(cast(User, request.user), email.interaction)
    except PermissionDenied:
        return render(request, "core/forbidden.html", status=403)
    html, held = shown_html(email) if email.html else ("", 0)
    return render(request, "email/original.html", {"e": email, "html": html, "held": held})
