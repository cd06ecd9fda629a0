from apps.core.admin_site import RoleAdmin, tenant_admin

from .models import CannedResponse, Contact, Disposition


class CannedResponseAdmin(RoleAdmin):
    list_display = ("shortcut", "title")


class DispositionAdmin(RoleAdmin):
    list_display = ("name",)


class ContactAdmin(RoleAdmin):
    list_display = ("__str__", "email", "phone", "created_at")
    search_fields = ("name", "email", "phone", "identities__value")


tenant_admin.register(CannedResponse, CannedResponseAdmin)
tenant_admin.register(Disposition, DispositionAdmin)
tenant_admin.register(Contact, ContactAdmin)
