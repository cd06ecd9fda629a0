"""Mail accounts sends (invitations; Django's password-reset form sends its own through the same
mail API). Rendered in the language active for the request that asked for it, with a text body and
an HTML alternative."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_mail(prefix: str, context: dict[str, Any], to: str) -> None:
    """Render `<prefix>_subject.txt`, `<prefix>_body.txt` and `<prefix>_body.html` and send them to
    `to`. Raises when the mail server refuses (the caller decides what the user is told)."""
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    text = render_to_string(f"{prefix}_body.txt", context)
    html = render_to_string(f"{prefix}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
