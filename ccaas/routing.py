"""WebSocket URL routes: the agent desktop (one socket per tab), the customer widget, the wallboard."""

from django.urls import path

from apps.desktop.consumers import DesktopConsumer
from apps.reporting.consumers import WallboardConsumer
from apps.widget.consumers import WidgetConsumer

websocket_urlpatterns = [
    path("ws/desktop/", DesktopConsumer.as_asgi()),
    path("ws/widget/", WidgetConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]
