"""Celery, tenant-aware: every task runs in the schema it was queued from (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.local")

app = CeleryApp("ccaas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Routing timers (offer timeouts, step widening, maximum wait, end of wrap-up) wait in a Redis sorted
# set; this fires the due ones (apps/routing/timers.py). Beat runs exactly once per deployment.
# Every half second: a routing timer (offer timeout, cool-down, step widening) fires at most ~0.5 s late.
app.add_periodic_task(0.5, app.signature("routing.fire_due_timers"), name="routing-fire-due-timers")
