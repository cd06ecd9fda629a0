"""Settings shared by every environment. Everything that differs comes from the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)

# The public site lives on BASE_DOMAIN; each tenant on <subdomain>.BASE_DOMAIN.
BASE_DOMAIN = env("BASE_DOMAIN", "localhost") or "localhost"
# How the outside world reaches us, used to build absolute tenant URLs.
PUBLIC_SCHEME = env("PUBLIC_SCHEME", "http") or "http"
PUBLIC_PORT = env("PUBLIC_PORT", "8000") or ""
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{BASE_DOMAIN},.{BASE_DOMAIN}")

SHARED_APPS = [
    "apps.tenants",  # first: its migrate_schemas also keeps the template schema migrated
    "django_tenants",
    "apps.billing",
    "daphne",
    "apps.core",
    "apps.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "django.contrib.postgres",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "rest_framework.authtoken",
    "apps.accounts",
    "apps.agents",
    "apps.routing",
    "apps.inbox",
    "apps.kb",
    "apps.widget",
    "apps.media",
    "apps.email",
    "apps.messaging",
    "apps.analytics",
    "apps.webhooks",
    "apps.journey",
    "apps.wfm",
    "apps.quality",
    "apps.reporting",
    "apps.desktop",  # no models: the agent desktop, at the top of the layers
    "apps.console",  # no models: home (onboarding) and settings pages, at the top beside the desktop
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New tenants are cloned from this migrated schema instead of running every migration.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Spare schemas cloned ahead of time (a Celery task keeps this many); a sign-up renames one instead
# of cloning the template, so its time does not grow with the number of tenants. 0: always clone.
TENANT_SPARE_SCHEMAS = int(env("TENANT_SPARE_SCHEMAS", "3") or 0)
# Connections of each web process's async pool for the chat hot path (apps/core/adb.py).
HOT_PATH_DB_CONNECTIONS = int(env("HOT_PATH_DB_CONNECTIONS", "8") or 8)
# Threads of a web process that run HTTP requests (apps/core/asgi.py), each with its own database
# connection; more requests in flight wait for one. Threads that run WebSocket ORM work in a web or
# media process (apps/core/tenancy.in_tenant). A web process holds at most HTTP_THREADS +
# ASYNC_ORM_THREADS + 1 + HOT_PATH_DB_CONNECTIONS connections (docs/scaling.md).
HTTP_THREADS = int(env("HTTP_THREADS", "10") or 10)
ASYNC_ORM_THREADS = int(env("ASYNC_ORM_THREADS", "8") or 8)
TENANT_MIGRATION_EXECUTOR = env("TENANT_MIGRATION_EXECUTOR", "standard")
# That executor, skipping schemas that already have every migration (`migrate_schemas --every-schema`
# runs Django's migrate in each one anyway).
GET_EXECUTOR_FUNCTION = "apps.tenants.migration_executor.get_executor"
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(env("TENANT_MULTIPROCESSING_MAX_PROCESSES", "2") or 2)
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    # Outermost: with DEBUG on, visitors who are not signed in get the product's error pages.
    "apps.core.error_pages.PublicErrorPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.tenants.middleware.TenantMainMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Form fields and query parameters: too large, too many, NUL or lone surrogates -> 400.
    "apps.core.error_pages.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language (their profile) over the cookie and the browser's.
    "apps.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the settings pages answer htmx's partial requests with the part that changed.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# A form whose CSRF token is missing or stale gets the product's 403 page, never Django's help page.
CSRF_FAILURE_VIEW = "apps.core.error_pages.csrf_failure"

ROOT_URLCONF = "ccaas.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "ccaas.urls_public"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.platform",
                "apps.core.context_processors.navigation",
                "apps.billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "ccaas.asgi.application"

DATABASES = {
    "default": {
        **dj_database_url.parse(
            env("DATABASE_URL", "postgres://postgres@localhost:5432/ccaas") or "",
            conn_max_age=int(env("DB_CONN_MAX_AGE", "60") or 0),
        ),
        "ENGINE": "ccaas.db_backend",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# django-tenants issues `SET search_path` once per tenant switch instead of before every query (half of
# all statements before). Safe here: its backend forgets the path on set_tenant / set_schema, on
# rollback and on a rollback to a savepoint (a SET inside an aborted transaction is undone) and on close;
# tests/tenants/test_search_path.py holds it to that.
TENANT_LIMIT_SET_CALLS = True

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0") or ""

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every cache key carries the schema of the tenant it was written in.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# Two channel layers on the same Redis:
# - "default" (pub/sub) carries what the sockets see: group_send is one PUBLISH and each web process
#   fans a message out to its own sockets, with no per-message BZPOPMIN; nothing waits in Redis for a
#   socket that is gone, which is fine because everything shown is persisted first and clients catch
#   up by seq (docs/architecture.md, Realtime). Pub/sub ignores Redis database numbers, so the prefix
#   carries the database (parallel test runs and deployments sharing a server stay apart).
# - "media" (lists) carries requests to the media workers: a message on the shared channel goes to
#   exactly one worker, and replies wait in Redis for their reader.
# redis-py 8 defaults socket_timeout to 5 s, the same as channels_redis' blocking BZPOPMIN wait, so an
# idle receiver died with "Timeout reading": reads get ample room.
_REDIS_LAYER_HOST = {"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}
_REDIS_DB = (REDIS_URL.rsplit("/", 1)[-1].split("?")[0] or "0") if REDIS_URL.count("/") >= 3 else "0"
# Redis connections of each process's socket channel layer (one subscribes; the rest publish, and a
# publish waits for a free one): apps/core/layers.py.
CHANNEL_LAYER_CONNECTIONS = int(env("CHANNEL_LAYER_CONNECTIONS", "50") or 50)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "apps.core.layers.PubSubChannelLayer",
        # No read timeout: the subscriber polls with its own; a publish is one short round trip.
        "CONFIG": {
            "hosts": [{**_REDIS_LAYER_HOST, "socket_timeout": None, "socket_keepalive": True}],
            "prefix": env("CHANNEL_PREFIX", f"ccaas{_REDIS_DB}.") or "ccaas.",
        },
    },
    "media": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [_REDIS_LAYER_HOST], "capacity": 1000, "expiry": 60},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")) or "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    # Requests per tenant and per user (apps/core/ratelimit.py): 429 + Retry-After when over.
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.ratelimit.ApiRateThrottle"],
    # JSON bodies are checked (nesting, size, NUL, lone surrogates) before any view sees them.
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact center API",
    "DESCRIPTION": "REST API of the multi-tenant contact center. Tenant endpoints live on the tenant's host.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation may answer with the product's error body (400, 401, 403, 404, 409, 429).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.openapi.add_error_responses",
    ],
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Presence expiry: an agent whose every desktop tab is gone is offline within ~25 s.
    "sweep-presence": {"task": "agents.sweep_presence", "schedule": 5.0},
}

# Addresses or networks (CIDR) of the reverse proxies / load balancers in front of the web processes.
# Only a request arriving from one of them may name the client's address (X-Forwarded-For) and scheme
# (X-Forwarded-Proto); from anyone else those headers are dropped, so rate limits keyed on the client
# address cannot be dodged by sending a different header. Empty: no proxy is trusted.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# Batches of web events one website visitor may send per minute (the loader sends one every few seconds
# at most); over it: 429 with Retry-After, and the loader keeps the events for later.
WEB_EVENT_BATCHES_PER_MINUTE = int(env("WEB_EVENT_BATCHES_PER_MINUTE", "30") or 30)
# The widget's engagement script asks whether to invite when a page opens, an event or a rule's time comes.
ENGAGE_CHECKS_PER_MINUTE = int(env("ENGAGE_CHECKS_PER_MINUTE", "30") or 30)
# Sign-ups allowed per client address per hour.
SIGNUP_RATE_LIMIT_PER_HOUR = int(env("SIGNUP_RATE_LIMIT_PER_HOUR", "20") or 20)
# A tenant's API requests per second (all web processes together) and each user's; WebSocket frames
# per second per tenant and per user in each web process. Bursts of up to RATE_LIMIT_BURST_SECONDS
# worth are let through after a quiet spell. 0: no limit. (apps/core/ratelimit.py, docs/scaling.md)
API_RATE_LIMIT_TENANT = float(env("API_RATE_LIMIT_TENANT", "50") or 0)
API_RATE_LIMIT_USER = float(env("API_RATE_LIMIT_USER", "10") or 0)
WS_FRAME_RATE_LIMIT_TENANT = float(env("WS_FRAME_RATE_LIMIT_TENANT", "500") or 0)
WS_FRAME_RATE_LIMIT_USER = float(env("WS_FRAME_RATE_LIMIT_USER", "30") or 0)
RATE_LIMIT_BURST_SECONDS = float(env("RATE_LIMIT_BURST_SECONDS", "4") or 1)
# Subdomains nobody may take.
RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "api",
        "admin",
        "public",
        "static",
        "media",
        "mail",
        "smtp",
        "ftp",
        "app",
        "apps",
        "help",
        "support",
        "status",
        "billing",
        "docs",
        "blog",
        "dashboard",
        "login",
        "signup",
        "auth",
        "cdn",
        "assets",
        "widget",
        "ws",
        "turn",
        "stun",
        "tenant",
        "template",
        "root",
        "system",
        "test",
        "dev",
        "staging",
        "localhost",
    }
)

# Media worker heartbeats live this long in Redis; /healthz calls it dead after that.
MEDIA_WORKER_HEARTBEAT_SECONDS = 3
MEDIA_WORKER_TTL_SECONDS = 10

# WebRTC connectivity for browsers (GET /api/v1/ice-servers). Comma-separated URLs. Empty: host
# candidates only, which is enough on loopback and in tests. TURN credentials are coturn REST-API
# style (`use-auth-secret` + `static-auth-secret=<TURN_SECRET>`), valid TURN_TTL_SECONDS.
STUN_URLS = [u.strip() for u in (env("STUN_URLS", "") or "").split(",") if u.strip()]
TURN_URLS = [u.strip() for u in (env("TURN_URLS", "") or "").split(",") if u.strip()]
TURN_SECRET = env("TURN_SECRET", "") or ""
TURN_TTL_SECONDS = int(env("TURN_TTL_SECONDS", "3600") or 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
}

# --- Billing (Stripe). No STRIPE_SECRET_KEY: billing runs in an explicit free development mode. ---
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "") or ""
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "") or ""
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "") or ""
# Empty means Stripe itself; point it at localstripe (e.g. http://localhost:8420) to work offline.
STRIPE_API_BASE = env("STRIPE_API_BASE", "") or ""
# Stripe.js: Stripe's own unless STRIPE_API_BASE is set (localstripe serves a compatible one).
STRIPE_JS_URL = env("STRIPE_JS_URL", "") or (
    f"{STRIPE_API_BASE.rstrip('/')}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/"
)
# Seconds a signed webhook stays acceptable (Stripe's own default is 300).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = int(env("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300") or 300)
BILLING_CURRENCY = env("BILLING_CURRENCY", "usd") or "usd"
# Days a past-due tenant keeps working before it is suspended.
BILLING_GRACE_DAYS = float(env("BILLING_GRACE_DAYS", "7") or 7)
# The plan a new tenant's trial starts on.
BILLING_DEFAULT_PLAN = env("BILLING_DEFAULT_PLAN", "starter") or "starter"
# Added to the one beat schedule above (a second assignment would drop the presence sweep).
CELERY_BEAT_SCHEDULE["billing-enforce-dunning"] = {"task": "billing.enforce_dunning", "schedule": 15 * 60}
# Tops up the spare tenant schemas (sign-ups also queue a refill; this catches up after a release).
CELERY_BEAT_SCHEDULE["journey-purge-web-events"] = {"task": "journey.purge_web_events", "schedule": 6 * 3600.0}
# Reporting's work (the roll-ups, the wallboard) has a queue and a worker of its own (Procfile
# `reports`): summing a big tenant's day must never delay a routing timer on the default queue.
CELERY_TASK_ROUTES = {
    "reporting.*": {"queue": "reports"},
    "analytics.*": {"queue": "analytics"},
    "email.*": {"queue": "email"},
    "messaging.*": {"queue": "messaging"},
    "webhooks.*": {"queue": "webhooks"},
}
# Outgoing webhooks (apps/webhooks, docs/webhooks.md). Plain http and addresses that are not public
# (loopback, private networks: SSRF) only when these are on (development, tests).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "5") or 5)  # seconds for one request, answer included
# Seconds before each retry of a failed delivery (1 min, 5 min, 30 min, 2 h, 12 h), then it has failed.
WEBHOOK_RETRY_DELAYS = [int(x) for x in env_list("WEBHOOK_RETRY_DELAYS", "60,300,1800,7200,43200")]
# A subscription whose deliveries have all failed for this long is turned off (with the reason shown).
WEBHOOK_DISABLE_AFTER = float(env("WEBHOOK_DISABLE_AFTER", str(3 * 86400)) or 0)
# How long a process remembers which events a tenant's subscriptions want (a new one applies within it).
WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = float(env("WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", "10") or 0)
# How long a process remembers a tenant's mailboxes and mail rules (apps/email/intake.py): a change
# saved in another process applies to received mail within it.
MAIL_SETTINGS_CACHE_SECONDS = float(env("MAIL_SETTINGS_CACHE_SECONDS", "10") or 0)
# Deliveries (and their attempts) are kept this many days in the log. The sweep also queues again a
# delivery left waiting that long (the broker was down when it was made, or its retry timer was lost).
WEBHOOK_LOG_DAYS = float(env("WEBHOOK_LOG_DAYS", "30") or 30)
WEBHOOK_SWEEP_SECONDS = float(env("WEBHOOK_SWEEP_SECONDS", "600") or 600)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "webhooks.sweep", "schedule": WEBHOOK_SWEEP_SECONDS}
# Interaction analytics' speech-to-text (apps/analytics/speech.py): a class's dotted path, or "none".
ANALYTICS_SPEECH_ENGINE = env("ANALYTICS_SPEECH_ENGINE", "apps.analytics.speech.PocketSphinxEngine")
# Reports: the roll-up of what changed in each tenant's record (within a minute of it happening).
CELERY_BEAT_SCHEDULE["reporting-roll-up"] = {"task": "reporting.roll_up", "schedule": 15.0}
# Dashboards mailed daily or weekly (each schedule's next time is on its row; checked every minute).
CELERY_BEAT_SCHEDULE["reporting-send-dashboards"] = {"task": "reporting.send_dashboards", "schedule": 60.0}
# Quality: sampling rules put interactions in the evaluators' work list.
CELERY_BEAT_SCHEDULE["quality-sample"] = {"task": "quality.sample", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["tenants-refill-spare-schemas"] = {"task": "tenants.refill_spare_schemas", "schedule": 60.0}

EMAIL_HOST = env("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "billing@localhost") or "billing@localhost"

# Email (apps/email): mail for <anything>@<subdomain>.<INBOUND_EMAIL_DOMAIN> is received by the built-in
# SMTP receiver (the Procfile's `mail`); the tenants' replies go out through EMAIL_HOST / EMAIL_PORT.
INBOUND_EMAIL_DOMAIN = env("INBOUND_EMAIL_DOMAIN", "mail.localhost") or "mail.localhost"
INBOUND_SMTP_HOST = env("INBOUND_SMTP_HOST", "127.0.0.1") or "127.0.0.1"
INBOUND_SMTP_PORT = int(env("INBOUND_SMTP_PORT", "2525") or 2525)
# A mail over this is refused at DATA with the limit said (the inbox keeps attachments up to 10 MB).
MAX_INBOUND_EMAIL_BYTES = int(env("MAX_INBOUND_EMAIL_BYTES", str(15 * 1024 * 1024)) or 15 * 1024 * 1024)
# IMAP mailboxes the tenants connect (apps/email/imap.py): looked at every IMAP_POLL_SECONDS by beat, and
# at once on new mail by the `mail` process where the server has IDLE (0: no IDLE watcher).
IMAP_POLL_SECONDS = float(env("IMAP_POLL_SECONDS", "60") or 60)
IMAP_TIMEOUT_SECONDS = float(env("IMAP_TIMEOUT_SECONDS", "20") or 20)
IMAP_IDLE_REFRESH_SECONDS = float(env("IMAP_IDLE_REFRESH_SECONDS", "30") or 0)
# A CA file (PEM) trusted for IMAP's TLS besides the system's: a private CA on a closed network, the tests.
IMAP_CA_FILE = env("IMAP_CA_FILE", "") or ""
CELERY_BEAT_SCHEDULE["email-poll-imap"] = {"task": "email.poll_imap", "schedule": IMAP_POLL_SECONDS}
# Providers' inbound webhooks (apps/email/providers.py): a signed delivery older than this is refused as a
# replay (Mailgun's timestamp, SNS's); SNS signing certificates given here ({url: PEM}, JSON) are used
# instead of fetching them from Amazon (a closed network, the tests).
MAIL_WEBHOOK_MAX_AGE_SECONDS = float(env("MAIL_WEBHOOK_MAX_AGE_SECONDS", "900") or 900)
SES_SNS_CERTIFICATES: dict[str, str] = json.loads(env("SES_SNS_CERTIFICATES", "{}") or "{}")

# Messaging channels (apps/messaging): providers' deliveries are drained into the inbox by the
# `messaging` queue; a beat sweep wakes any drain a lost wake-up left waiting. Provider APIs are called
# at their real hosts unless MESSAGING_API_BASE names one base for all (a local fake provider).
MESSAGING_API_BASE = env("MESSAGING_API_BASE", "") or ""
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {"task": "messaging.sweep", "schedule": 30.0}
