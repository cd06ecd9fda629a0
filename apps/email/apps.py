from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "apps.email"
    label = "email"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from .tasks import on_message_posted  # (and registers the app's tasks)

        register_hook("message_posted", on_message_posted)
