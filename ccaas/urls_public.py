"""URLs of the public site (the bare base domain): sign-up, platform admin, health."""

from django.contrib import admin
from django.urls import include, path

from apps.core.urls_schema import schema_urls
from apps.core.views import healthz
from apps.tenants import views as tenant_views
from apps.widget.demo import demo_shop

urlpatterns = [
    path("", tenant_views.home, name="home"),
    path("signup/", tenant_views.signup_page, name="signup"),
    path("demo-shop/", demo_shop, name="demo-shop"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("apps.billing.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("apps.tenants.urls")),
    path("api/", include(schema_urls("ccaas.urls_public"))),
]

# The product's own error pages (JSON under /api/); apps.core.error_pages.
handler400 = "apps.core.error_pages.bad_request"
handler403 = "apps.core.error_pages.permission_denied"
handler404 = "apps.core.error_pages.page_not_found"
handler500 = "apps.core.error_pages.server_error"
