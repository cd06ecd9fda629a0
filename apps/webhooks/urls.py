from django.urls import URLPattern, URLResolver, include, path

from . import apis

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/events", apis.EventsApi.as_view(), name="api-webhooks-events"),
    path("webhooks/subscriptions", apis.SubscriptionsApi.as_view(), name="api-webhooks-subscriptions"),
    path("webhooks/subscriptions/<int:pk>", apis.SubscriptionsApi.as_view(), name="api-webhooks-subscription"),
    path("webhooks/subscriptions/<int:pk>/rotate-secret", apis.RotateSecretApi.as_view(), name="api-webhooks-rotate"),
    path("webhooks/deliveries", apis.DeliveriesApi.as_view(), name="api-webhooks-deliveries"),
    path("webhooks/deliveries/<int:pk>", apis.DeliveriesApi.as_view(), name="api-webhooks-delivery"),
    path("webhooks/deliveries/<int:pk>/replay", apis.ReplayApi.as_view(), name="api-webhooks-replay"),
]

urlpatterns = [path("api/v1/", include(api_urlpatterns))]
