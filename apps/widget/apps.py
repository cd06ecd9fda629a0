from django.apps import AppConfig


def create_website_key(tenant: object) -> None:
    """tenants' `tenant_schema_created` hook (inside the new schema, after routing made the first
    queue): the website widget key, with its own secret (never cloned from the template, or tenants
    would share it)."""
    from apps.routing.models import Queue

    from .models import WidgetKey

    queue = Queue.objects.order_by("pk").first() or Queue.objects.create(name="Support")
    WidgetKey.objects.create(name="Website", queue=queue)


class WidgetConfig(AppConfig):
    name = "apps.widget"
    label = "widget"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        register_hook("tenant_schema_created", create_website_key)
