"""Canned responses: documented variables, checked when saved (a variable the product does not know
is refused with the list of those it does, so none reaches a customer as typed), rendered for one
conversation, and the writes (with their audit rows)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ValidationFailed

from ..models import CannedResponse, Interaction

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
# Every variable a canned response may use, with what it becomes (shown on the settings page).
VARIABLES: dict[str, Any] = {
    "customer.name": gettext_lazy("the customer's name (“there” when unknown)"),
    "customer.first_name": gettext_lazy("the customer's first name"),
    "customer.email": gettext_lazy("the customer's email"),
    "contact.name": gettext_lazy("the same as customer.name"),
    "contact.first_name": gettext_lazy("the same as customer.first_name"),
    "contact.email": gettext_lazy("the same as customer.email"),
    "agent.name": gettext_lazy("the agent's display name"),
    "agent.first_name": gettext_lazy("the agent's first name"),
}


def check_canned_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(_("Write the text."), fields={"body": [_("The text is empty.")]})
    if len(body) > 4000:
        raise ValidationFailed(_("At most 4000 characters."), fields={"body": [_("Too long.")]})
    unknown = sorted({m.group(1) for m in VARIABLE.finditer(body)} - set(VARIABLES))
    if unknown:
        names = ", ".join("{{ %s }}" % v for v in VARIABLES)  # noqa: UP031  (literal braces)
        raise ValidationFailed(
            _("Unknown variable: %(v)s.") % {"v": ", ".join("{{ %s }}" % u for u in unknown)},  # noqa: UP031
            fields={
                "body": [
                    _("Unknown variable %(v)s. Use one of: %(names)s.") % {"v": "{{ %s }}" % unknown[0], "names": names}  # noqa: UP031
                ]
            },
        )
    return body


def canned_values(customer_name: str, customer_email: str, agent: User) -> dict[str, str]:
    name = customer_name or str(_("there"))
    first = name.split(" ")[0]
    agent_name = agent.display_name
    return {
        "customer.name": name,
        "customer.first_name": first,
        "customer.email": customer_email,
        "contact.name": name,
        "contact.first_name": first,
        "contact.email": customer_email,
        "agent.name": agent_name,
        "agent.first_name": agent_name.split(" ")[0],
    }


def render_text(body: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def render_canned(response: CannedResponse, interaction: Interaction, agent: User) -> str:
    contact = interaction.contact
    values = canned_values(contact.name if contact else "", contact.email if contact else "", agent)
    return render_text(response.body, values)


def do_save_canned_response(
    actor: User | None, *, shortcut: str, title: str, body: str, response: CannedResponse | None = None
) -> CannedResponse:
    """Create (`response` None) or change a canned response; the body's variables are checked."""
    body = check_canned_body(body)
    with transaction.atomic():
        if response is None:
            response = CannedResponse.objects.create(shortcut=shortcut, title=title, body=body)
            verb = "canned_response.created"
        else:
            response.shortcut, response.title, response.body = shortcut, title, body
            response.save(update_fields=["shortcut", "title", "body"])
            verb = "canned_response.updated"
        record_audit(actor, verb, response, shortcut=shortcut)
    return response


def do_delete_canned_response(actor: User | None, response: CannedResponse) -> None:
    with transaction.atomic():
        record_audit(actor, "canned_response.deleted", response, shortcut=response.shortcut)
        response.delete()
