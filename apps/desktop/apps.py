from django.apps import AppConfig


class DesktopConfig(AppConfig):
    """The agent desktop (page and socket), at the top of the layers: it composes what the apps below
    offer and nothing imports it."""

    name = "apps.desktop"
    label = "desktop"
