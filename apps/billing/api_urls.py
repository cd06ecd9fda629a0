from django.urls import path

from . import apis

urlpatterns = [
    path("account", apis.BillingAccountApi.as_view(), name="api-billing-account"),
    path("card-setup", apis.CardSetupApi.as_view(), name="api-billing-card-setup"),
    path("subscribe", apis.SubscribeApi.as_view(), name="api-billing-subscribe"),
    path("seats", apis.ChangeSeatsApi.as_view(), name="api-billing-seats"),
    path("cancel", apis.CancelSubscriptionApi.as_view(), name="api-billing-cancel"),
    path("resume", apis.ResumeSubscriptionApi.as_view(), name="api-billing-resume"),
    path("invoices", apis.InvoicesApi.as_view(), name="api-billing-invoices"),
]
