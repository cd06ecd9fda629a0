from django.apps import AppConfig


class WfmConfig(AppConfig):
    name = "apps.wfm"
    label = "wfm"
