from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The product's own pages for the people who run a contact center: the home page with its
    onboarding checklist and warnings, and the settings pages. At the top of the layers (beside the
    desktop): it reads every app below it and writes only through their actions."""

    name = "apps.console"
    label = "console"
