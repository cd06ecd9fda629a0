from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "apps.reporting"
    label = "reporting"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the roll-up task where the app runs)
