"""Celery, tenant-aware: every task runs in the schema it was queued from (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.local")

app = CeleryApp("ccaas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
