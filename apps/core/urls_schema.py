"""OpenAPI schema and docs. Each host documents its own API: the public site's (sign-up) or a
tenant's. drf-spectacular would otherwise read ROOT_URLCONF (the tenant's) on every host."""

from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def schema_urls(urlconf: str) -> list[URLPattern]:
    return [
        path("schema/", SpectacularAPIView.as_view(urlconf=urlconf, permission_classes=[]), name="schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="api-docs"),
    ]
