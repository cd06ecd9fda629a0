"""URLs of a tenant's host (<subdomain>.<base domain>)."""

from django.urls import include, path

from apps.core.admin_site import tenant_admin
from apps.core.urls_schema import schema_urls
from apps.core.views import healthz
from apps.media import urls as media_urls

urlpatterns = [
    path("", include("apps.console.urls")),
    path("", include("apps.accounts.urls")),
    path("billing/", include("apps.billing.urls")),
    path("admin/", tenant_admin.urls),
    path("", include("apps.widget.urls")),
    path("", include("apps.inbox.urls")),
    path("", include("apps.journey.urls")),
    path("", include("apps.wfm.urls")),
    path("", include("apps.quality.urls")),
    path("", include("apps.analytics.urls")),
    path("", include("apps.email.urls")),
    path("", include("apps.messaging.urls")),
    path("", include("apps.kb.urls")),
    path("", include("apps.webhooks.urls")),
    path("", include("apps.reporting.urls")),
    path("", include("apps.desktop.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("apps.accounts.api_urls")),
    path("api/v1/", include("apps.routing.urls")),
    path("api/v1/", include(media_urls.api_urlpatterns)),
    path("", include(media_urls.urlpatterns)),
    path("api/v1/billing/", include("apps.billing.api_urls")),
    path("api/", include(schema_urls("ccaas.urls_tenant"))),
]

# The product's own error pages (JSON under /api/); apps.core.error_pages.
handler400 = "apps.core.error_pages.bad_request"
handler403 = "apps.core.error_pages.permission_denied"
handler404 = "apps.core.error_pages.page_not_found"
handler500 = "apps.core.error_pages.server_error"
