"""Mail to a tenant's owner and admins. Sent after the transaction that decided it has committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.tenants.selectors import tenant_url

from .models import BillingAccount

logger = logging.getLogger(__name__)


def billing_contacts(schema_name: str) -> list[str]:
    with schema_context(schema_name):
        return list(
            User.objects.filter(is_active=True, role__in=[User.Role.OWNER, User.Role.ADMIN])
            .order_by("role", "email")
            .values_list("email", flat=True)
        )


def send_past_due_email(account_id: int) -> int:
    """Tell the owner and admins that a payment failed and when the tenant will be suspended.
    Returns the number of messages sent. A mail failure is logged, never raised: the state change it
    announces has already committed, and the banner says the same thing."""
    from .selectors import grace_ends_at

    account = BillingAccount.objects.select_related("tenant", "plan").get(pk=account_id)
    recipients = billing_contacts(account.tenant.schema_name)
    if not recipients:
        return 0
    context = {
        "tenant": account.tenant,
        "grace_ends_at": grace_ends_at(account),
        "billing_url": tenant_url(account.tenant, "/billing/"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("billing/email/past_due_subject.txt", context).strip()
        body = render_to_string("billing/email/past_due_body.txt", context)
    try:
        return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        logger.exception("Could not send the past-due mail of %s", account.tenant.schema_name)
        return 0
