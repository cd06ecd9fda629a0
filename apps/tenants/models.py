"""Tenants (one PostgreSQL schema each) and the host names that lead to them. Public schema."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

TEMPLATE_SCHEMA = "tenant_template"


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("company name"), max_length=120)
    subdomain = models.CharField(_("subdomain"), max_length=63, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # The template every new tenant's schema is cloned from; it has no domain and no users.
    is_template = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are made by the sign-up action (a clone of the template), not as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    pass


class SpareSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting for a sign-up to rename it to the new
    tenant's schema (apps.tenants.actions). Not a tenant: no tenant row, so nothing else sees it."""

    schema_name = models.CharField(max_length=63, unique=True)
    # Fingerprint of the migrations the clone carries (`migrations_fingerprint`): a spare whose
    # fingerprint is not the template's is stale and never handed out.
    template_version = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.schema_name
