from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from apps.core.hooks import register_hook
        from apps.core.timers import register_timer

        from .actions import on_domain_event
        from .tasks import retry_due  # (and registers the app's tasks)

        register_hook("domain_event", on_domain_event)
        register_timer("webhook_retry", retry_due)
