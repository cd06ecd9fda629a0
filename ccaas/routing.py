"""WebSocket URL routes of every app (one desktop socket per tab; the widget's socket later)."""

from django.urls import path

from apps.agents.consumers import DesktopConsumer

websocket_urlpatterns = [
    path("ws/desktop/", DesktopConsumer.as_asgi()),
]
