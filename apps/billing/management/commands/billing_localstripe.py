"""Point a running localstripe at our webhook endpoint, for `make run` without Stripe.

STRIPE_API_BASE=http://localhost:8420 ... manage.py billing_localstripe --url http://localhost:8000/billing/webhooks/stripe/
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.tenants.selectors import public_url


class Command(BaseCommand):
    help = "Register our Stripe webhook endpoint (and STRIPE_WEBHOOK_SECRET) with localstripe. Safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="", help="webhook URL (default: the public site's)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.STRIPE_API_BASE or not settings.STRIPE_WEBHOOK_SECRET:
            raise CommandError("Set STRIPE_API_BASE (localstripe's URL) and STRIPE_WEBHOOK_SECRET first.")
        url = options["url"] or public_url("/billing/webhooks/stripe/")
        request = urllib.request.Request(  # noqa: S310 (localstripe, from the settings)
            settings.STRIPE_API_BASE.rstrip("/") + "/_config/webhooks/ccaas",
            data=json.dumps({"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (a configured URL)
            if response.status != 200:
                raise CommandError(f"localstripe answered {response.status}")
        self.stdout.write(f"localstripe posts its webhooks to {url}")
