"""WebSocket URL routes: the agent desktop (one socket per tab) and the customer widget."""

from django.urls import path

from apps.desktop.consumers import DesktopConsumer
from apps.widget.consumers import WidgetConsumer

websocket_urlpatterns = [
    path("ws/desktop/", DesktopConsumer.as_asgi()),
    path("ws/widget/", WidgetConsumer.as_asgi()),
]
