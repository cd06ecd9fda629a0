from apps.core.admin_site import RoleAdmin, tenant_admin

from .models import WidgetKey


class WidgetKeyAdmin(RoleAdmin):
    list_display = ("name", "public_key", "queue", "enabled")
    readonly_fields = ("public_key", "secret")
    fields = ("name", "queue", "allowed_origins", "enabled", "prechat_form", "greeting", "public_key", "secret")


tenant_admin.register(WidgetKey, WidgetKeyAdmin)
