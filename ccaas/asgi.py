"""ASGI entry point: HTTP through Django (django-tenants middleware), WebSockets through Channels
behind our tenant middleware, which resolves the Host header to a tenant before any consumer runs."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.local")
from apps.core.asgi import get_asgi_application

# Django's handler, with HTTP requests on HTTP_THREADS threads (bounded database connections).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.core.proxy import TrustedProxyMiddleware  # noqa: E402
from apps.journey import asgi as web_events  # noqa: E402
from apps.messaging import asgi as messaging_hooks  # noqa: E402
from apps.tenants.asgi import TenantWebSocketMiddleware  # noqa: E402
from ccaas.routing import websocket_urlpatterns  # noqa: E402


async def http_application(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """Django, but for the website tracker's endpoint and the messaging providers' deliveries, which run
    on the event loop (journey.asgi, messaging.asgi)."""
    if web_events.handles(scope):
        return await web_events.handle(scope, receive, send)
    if messaging_hooks.handles(scope):
        return await messaging_hooks.handle(scope, receive, send)
    return await django_asgi_app(scope, receive, send)  # type: ignore[arg-type]


# The client's address and scheme: from X-Forwarded-* only when a trusted proxy sent them.
application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            "http": http_application,
            "websocket": TenantWebSocketMiddleware(URLRouter(websocket_urlpatterns)),
        }
    )
)

# Everything imported so far lives as long as the process: keep it out of the cyclic collector's
# scans, which otherwise walk all of Django and the apps on each full collection (measured as latency
# spikes with 1,100 sockets in benchmarks/chat.py).
import gc  # noqa: E402

gc.freeze()
