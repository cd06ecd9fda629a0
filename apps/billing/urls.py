from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="billing-overview"),
    path("subscribe/", views.subscribe, name="billing-subscribe"),
    path("payment-method/", views.payment_method, name="billing-payment-method"),
    path("seats/", views.change_seats, name="billing-seats"),
    path("cancel/", views.cancel, name="billing-cancel"),
    path("resume/", views.resume, name="billing-resume"),
    path("pay/", views.pay, name="billing-pay"),
]
