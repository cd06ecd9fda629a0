from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "apps.agents"
    label = "agents"

    def ready(self) -> None:
        from apps.core.hooks import register_hook
        from apps.core.timers import register_timer

        from . import events  # noqa: F401  (declares the app's realtime events)
        from .actions import WRAP_UP_TIMER, do_create_agent_profile, do_end_wrap_up

        register_timer(WRAP_UP_TIMER, do_end_wrap_up)
        register_hook("user_created", lambda user, actor: do_create_agent_profile(user, actor=actor))
