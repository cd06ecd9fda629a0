"""URLs of a tenant's host (<subdomain>.<base domain>)."""

from django.urls import include, path

from apps.core.urls_schema import schema_urls
from apps.core.views import healthz

urlpatterns = [
    path("", include("apps.accounts.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("apps.accounts.api_urls")),
    path("api/", include(schema_urls("ccaas.urls_tenant"))),
]
