from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "apps.reporting"
    label = "reporting"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from apps.agents.models import PresenceChange
        from apps.core.hooks import register_hook
        from apps.inbox.models import Segment

        from . import events, tasks  # noqa: F401  (declares the app's events; registers its tasks)
        from .actions import on_record_change

        # The wallboard follows the record and the presence history (Django's signal: the apps below
        # write them without knowing reporting exists).
        post_save.connect(on_record_change, sender=Segment, dispatch_uid="reporting.segment")
        post_save.connect(on_record_change, sender=PresenceChange, dispatch_uid="reporting.presence")
        register_hook("tenant_time_zone", tenant_time_zone)


def tenant_time_zone() -> str:
    """core's `tenant_time_zone` hook: the zone reports (and so days, weeks and shifts) are kept in."""
    from .models import ReportingSettings

    return ReportingSettings.current().time_zone
