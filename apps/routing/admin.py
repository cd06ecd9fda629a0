from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.admin_site import RoleAdmin, RoleInline, tenant_admin

from . import engine
from .models import BusinessHours, Holiday, InteractionAttribute, Queue, RoutingStep


class RoutingStepInline(RoleInline):
    model = RoutingStep
    fields = ("order", "expression", "duration_seconds")


class QueueAdmin(RoleAdmin):
    list_display = ("name", "priority", "sla_percent", "sla_seconds", "offer_timeout_seconds", "overflow_action")
    filter_horizontal = ("members",)
    inlines = [RoutingStepInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        engine.forget_cached_plans()


class HolidayInline(RoleInline):
    model = Holiday


class BusinessHoursAdmin(RoleAdmin):
    list_display = ("name", "timezone")
    inlines = [HolidayInline]


class InteractionAttributeAdmin(RoleAdmin):
    list_display = ("name", "type")


tenant_admin.register(Queue, QueueAdmin)
tenant_admin.register(BusinessHours, BusinessHoursAdmin)
tenant_admin.register(InteractionAttribute, InteractionAttributeAdmin)
