from django.contrib import admin

from .models import AuditEntry, BillingAccount, Plan, SeatChange, StripeEvent


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "price_per_seat_cents", "currency", "trial_days", "trial_seats", "is_active")


class SeatChangeInline(admin.TabularInline):
    model = SeatChange
    extra = 0
    readonly_fields = ("from_seats", "to_seats", "source", "actor_email", "created_at")
    can_delete = False


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ("tenant", "plan", "status", "seats", "trial_ends_at", "past_due_since", "suspension_reason")
    list_filter = ("status", "plan", "suspension_reason")
    search_fields = ("tenant__name", "tenant__subdomain", "stripe_customer_id", "stripe_subscription_id")
    readonly_fields = ("stripe_customer_id", "stripe_subscription_id", "stripe_subscription_item_id", "synced_at")
    inlines = [SeatChangeInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("account", "action", "actor_email", "created_at")
    list_filter = ("action",)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("stripe_id", "type", "account", "outcome", "attempts", "received_at", "processed_at")
    list_filter = ("type", "outcome")
    search_fields = ("stripe_id",)
