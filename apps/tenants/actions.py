"""Writes of the tenants app: the template schema, the pool of spare schemas, sign-up, demo tenant."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists
from kombu.exceptions import OperationalError as BrokerError

from apps.core.errors import ValidationFailed
from apps.core.hooks import run_hooks

from .models import TEMPLATE_SCHEMA, Domain, SpareSchema, Tenant
from .validation import SignupInput, schema_name_for, subdomain_errors

logger = logging.getLogger(__name__)


def ensure_public_tenant() -> bool:
    """The public site's tenant row and domain (the bare base domain). Returns True when created."""
    tenant, created = Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Platform"})
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True})
    return created


def ensure_template_schema(verbosity: int = 1) -> bool:
    """Create the migrated template schema if it is missing, and (re)install the clone function.
    Returns True when the template was created. Runs at release time (`migrate_schemas`)."""
    from django_tenants.clone import CloneSchema

    CloneSchema()._create_clone_schema_function()  # once per release, not before every sign-up
    if Tenant.objects.filter(schema_name=TEMPLATE_SCHEMA).exists() and schema_exists(TEMPLATE_SCHEMA):
        return False
    with transaction.atomic():
        Tenant.objects.filter(schema_name=TEMPLATE_SCHEMA).delete()
        template = Tenant.objects.create(schema_name=TEMPLATE_SCHEMA, name="Tenant template", is_template=True)
        # No base schema exists yet, so django-tenants runs every migration into it.
        template.create_schema(check_if_exists=True, verbosity=verbosity)
    return True


def clone_template_into(schema_name: str) -> None:
    """Create `schema_name` as a copy of the migrated template: tables, indexes and their rows
    (migration records, content types, permissions). Nothing else needs to run afterwards: the
    fake migrate django-tenants would run scans the whole catalog (~0.25 s at 500 tenants).
    Caller is in a transaction on the public schema."""
    from django_tenants.clone import CloneSchema

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'clone_schema'")
        if cursor.fetchone() is None:  # a database whose release step predates this code
            CloneSchema()._create_clone_schema_function()
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [TEMPLATE_SCHEMA, schema_name])


# --- spare schemas ---------------------------------------------------------------------------------
# Cloning the template costs ~0.3-0.7 s and grows with the number of schemas (clone_schema reads the
# catalog). A worker clones a few spares ahead of time; a sign-up renames one (constant time) and
# clones only when none is left.

SPARE_PREFIX = "spare_"
_REFILL_LOCK = 0x7E5A_5BA3  # PostgreSQL advisory lock key: one refill at a time, platform-wide


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def migrations_fingerprint(schema_name: str) -> str:
    """md5 of the migrations recorded in `schema_name`. Every change to a tenant schema is a
    migration, so a spare whose fingerprint is the template's has the template's tables.
    Precondition: the schema exists."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(coalesce(string_agg(app || '.' || name, ',' ORDER BY app, name), ''))"
            f" FROM {_quote(schema_name)}.django_migrations"
        )
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def make_spare_schema() -> str:
    """Clone the template into a new spare schema and record it, in one transaction: a clone that
    fails leaves no schema and no row. Returns the spare's name. Caller is on the public schema."""
    name = SPARE_PREFIX + secrets.token_hex(8)
    with transaction.atomic():
        clone_template_into(name)
        SpareSchema.objects.create(schema_name=name, template_version=migrations_fingerprint(name))
    return name


def take_spare_schema(schema_name: str) -> str | None:
    """Rename a free spare cloned from the current template to `schema_name`. Returns the spare's
    old name, or None when there is none (the caller clones instead).

    Precondition: the caller is in a transaction on the public schema. The spare's row is locked,
    its schema renamed (DDL is transactional in PostgreSQL) and its row deleted in that transaction,
    so a sign-up that fails later rolls all three back and the spare is in the pool again, whole; one
    that commits has used it exactly once. SKIP LOCKED: a concurrent sign-up takes another spare,
    or clones, and never waits for this one."""
    if not connection.in_atomic_block:
        raise RuntimeError("take_spare_schema must run inside the sign-up's transaction.")
    table = SpareSchema._meta.db_table
    with connection.cursor() as cursor:
        # A spare cloned before the template's latest migration (or whose schema someone dropped)
        # is skipped; the refill task drops it.
        cursor.execute(
            f"""
            SELECT s.id, s.schema_name FROM {table} s
            WHERE s.template_version = %s
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = s.schema_name)
            ORDER BY s.id
            LIMIT 1
            FOR UPDATE OF s SKIP LOCKED
            """,
            [migrations_fingerprint(TEMPLATE_SCHEMA)],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        spare_id, spare = row
        cursor.execute(f"ALTER SCHEMA {_quote(spare)} RENAME TO {_quote(schema_name)}")
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [spare_id])
    return str(spare)


def drop_spare_schemas(*, keep_version: str | None = None) -> int:
    """Drop spare schemas and their rows: all of them, or with `keep_version` only those cloned
    from another version of the template (or whose schema is gone). A spare a sign-up is taking
    right now is left to it (SKIP LOCKED). Returns how many were dropped. Caller is on the public
    schema and not in a transaction (each spare is dropped in its own)."""
    dropped = 0
    for spare_id in list(SpareSchema.objects.order_by("id").values_list("id", flat=True)):
        with transaction.atomic():
            spare = SpareSchema.objects.select_for_update(skip_locked=True).filter(id=spare_id).first()
            if spare is None:
                continue  # being taken by a sign-up, or already gone
            if keep_version is not None and spare.template_version == keep_version and schema_exists(spare.schema_name):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(spare.schema_name)} CASCADE")
            spare.delete()
            dropped += 1
    return dropped


def do_refill_spare_schemas(target: int | None = None) -> int:
    """Keep `target` (default: TENANT_SPARE_SCHEMAS) spare schemas cloned from the current template:
    drop stale spares, clone the missing ones. Returns how many it cloned. Idempotent; one refill
    runs at a time (a session advisory lock, released even if the process dies: a concurrent call
    returns 0 at once). Runs in a worker, off the sign-up's path."""
    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    made = 0
    with schema_context(get_public_schema_name()):
        if not schema_exists(TEMPLATE_SCHEMA):
            return 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK])
            row = cursor.fetchone()
        if not (row and row[0]):
            return 0
        try:
            version = migrations_fingerprint(TEMPLATE_SCHEMA)
            drop_spare_schemas(keep_version=version)
            # Bounded: if the template is migrated meanwhile, new clones carry another version.
            for _n in range(target - SpareSchema.objects.filter(template_version=version).count()):
                make_spare_schema()
                made += 1
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])
    # Same reason as in do_signup: a backend that cloned schemas keeps their catalog entries cached
    # and gets slower with each clone.
    if made and not connection.in_atomic_block:
        connection.close()
    if made:
        logger.info("Cloned %d spare tenant schema(s)", made)
    return made


def queue_spare_refill() -> None:
    """Queue a refill of the spare pool (after a sign-up used a spare or found none). The sign-up has
    committed by now, so a broker that cannot be reached is logged, not raised: beat's periodic
    refill catches up."""
    if settings.TENANT_SPARE_SCHEMAS <= 0:
        return
    from celery import current_app

    from apps.core.tasks import enqueue_in_tenant

    # By name: the task module calls do_refill_spare_schemas, so importing it here would be a circle.
    refill_spare_schemas = current_app.tasks["tenants.refill_spare_schemas"]
    try:
        enqueue_in_tenant(get_public_schema_name(), refill_spare_schemas, target=settings.TENANT_SPARE_SCHEMAS)
    except (BrokerError, OSError):
        logger.warning("Could not queue a refill of the spare tenant schemas", exc_info=True)


# --- sign-up ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupResult:
    tenant: Tenant
    owner: AbstractBaseUser  # the configured user model (accounts.User): tenants sits below accounts
    spare: str | None = None  # the spare schema the tenant's schema was renamed from; None: cloned


def create_tenant_with_owner(
    *, company_name: str, subdomain: str, email: str, password: str | None, full_name: str = ""
) -> SignupResult:
    """Create the tenant (its schema a spare renamed, or else cloned from the template), its primary
    domain and its owner, all in one transaction: PostgreSQL DDL is transactional, so a failure at
    any step leaves nothing, and a spare it took is back in the pool."""
    if not schema_exists(TEMPLATE_SCHEMA):
        raise RuntimeError("The tenant template schema is missing: run `manage.py migrate_schemas`.")
    schema_name = schema_name_for(subdomain)
    try:
        with transaction.atomic():
            # The tenant row first: a sign-up that lost the race for this subdomain stops here,
            # before taking a spare.
            tenant = Tenant.objects.create(schema_name=schema_name, name=company_name, subdomain=subdomain)
            spare = take_spare_schema(schema_name)
            if spare is None:
                clone_template_into(schema_name)
            Domain.objects.create(domain=f"{subdomain}.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True)
            run_hooks("tenant_created", tenant=tenant)  # billing: the trial
            with schema_context(schema_name):
                owner = get_user_model().objects.create_user(  # type: ignore[attr-defined]
                    email=email, password=password, full_name=full_name, role="owner"
                )
                run_hooks("tenant_schema_created", tenant=tenant)  # routing, widget: the first queue and key
            transaction.on_commit(queue_spare_refill)
    except IntegrityError as exc:
        # Two sign-ups raced for the same subdomain; the loser gets the same answer as a late one.
        logger.info("Sign-up for %s lost a race: %s", subdomain, exc)
        raise ValidationFailed(
            _("Please correct the errors below."), fields={"subdomain": [_("This subdomain is already taken.")]}
        ) from exc
    return SignupResult(tenant=tenant, owner=owner, spare=spare)


def do_signup(data: SignupInput) -> SignupResult:
    """A business signs itself up. Caller has validated `data` with `check_signup`."""
    errors = subdomain_errors(data.subdomain)  # re-checked: time has passed since validation
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields={"subdomain": errors})
    result = create_tenant_with_owner(
        company_name=data.company_name, subdomain=data.subdomain, email=data.email, password=data.password
    )
    # A connection that cloned schemas keeps their catalog entries cached and gets slower with each
    # (+18 ms per earlier clone, measured); start the next request on a fresh one.
    if not connection.in_atomic_block:
        connection.close()
    logger.info("Tenant %s signed up", result.tenant.schema_name)
    return result
