from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"

    def ready(self) -> None:
        # actions.queue_spare_refill finds its task by name (the task module imports the actions), so
        # the task must be registered in every process that signs a business up, not only in workers:
        # `manage.py seed_demo` (make run) and the web process failed with NotRegistered.
        from apps.tenants import tasks  # noqa: F401
