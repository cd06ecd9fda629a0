"""WebSocket URL routes of every app (one desktop socket per tab; the widget's socket later)."""

from django.urls import path

from apps.agents.consumers import DesktopConsumer
from apps.widget.consumers import WidgetConsumer

websocket_urlpatterns = [
    path("ws/desktop/", DesktopConsumer.as_asgi()),
    path("ws/widget/", WidgetConsumer.as_asgi()),
]
