from django.contrib import admin

from .models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "subdomain", "schema_name", "status", "created_at")
    search_fields = ("name", "subdomain")
    list_filter = ("status",)
    inlines = [DomainInline]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(is_template=False).exclude(schema_name="public")
