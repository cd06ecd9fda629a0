from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from . import events  # noqa: F401  (declares the app's realtime events)
        from .actions import do_issue_login_handoff, name_the_owner

        register_hook("login_handoff", do_issue_login_handoff)
        register_hook("tenant_schema_created", name_the_owner)
