from django.urls import path

from . import views

urlpatterns = [
    path("billing/webhooks/stripe/", views.stripe_webhook, name="stripe-webhook"),
    path("platform/tenants/", views.platform_tenants, name="platform-tenants"),
]
