from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from . import events  # noqa: F401  (declares the app's realtime events)
        from .tasks import on_message_posted  # (and registers the app's tasks)

        register_hook("message_posted", on_message_posted)
