"""A demo shop page on the public site with the demo tenant's widget pasted in, so that `make run`
shows the customer's side at once (http://localhost:8000/demo-shop/)."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.utils import schema_context

from apps.tenants.models import Tenant
from apps.tenants.selectors import tenant_url

from .identity import sign_identity
from .models import WidgetKey


def demo_shop(request: HttpRequest) -> HttpResponse:
    tenant = Tenant.objects.filter(subdomain="demo").first()
    if tenant is None:
        return HttpResponse("Run `make run` to create the demo tenant.", status=404, content_type="text/plain")
    with schema_context(tenant.schema_name):
        key = WidgetKey.objects.filter(enabled=True).first()
        if key is None:
            return HttpResponse("The demo tenant has no widget key.", status=404, content_type="text/plain")
        signed = request.GET.get("as") == "customer"
        # What a business's server does for a signed-in customer: identity and context, signed.
        token = (
            sign_identity(
                key.secret,
                {
                    "sub": "demo-customer-1",
                    "name": "Mei Chen",
                    "email": "mei@example.com",
                    "exp": int(time.time()) + 3600,
                    "attributes": {"tier": "gold", "vip": True, "cart_value": 129.5},
                    "context": {
                        "cart": {"items": [{"sku": "TEA-01", "name": "Oolong tea", "qty": 2}], "total": 129.5},
                        "order": "A-10023",
                    },
                },
            )
            if signed
            else ""
        )
        return render(
            request,
            "widget/demo_shop.html",
            {"loader": tenant_url(tenant, "/widget.js"), "key": key.public_key, "token": token, "signed": signed},
        )
