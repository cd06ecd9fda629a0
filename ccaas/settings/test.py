"""The test suite: `make test`. Same real PostgreSQL and Redis, its own database and Redis db.

`make test` runs the suite in parallel pytest-xdist workers (ccaas/launcher.py): worker gwN (N >= 1)
gets a database and a Redis db of its own, derived here from the run's before Django reads them, and
written back to the environment so that the processes a test starts (daphne, Celery, the media worker)
use the same ones."""

import os

from ccaas.parallel import worker_urls

os.environ.update(worker_urls(os.environ))

from .base import *  # noqa: F403
from .base import env, env_bool, env_list

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; auth paths are the same
TENANT_SPARE_SCHEMAS = 0  # sign-ups clone; the tests of the spare pool make their own spares
# In-process mail goes to django.core.mail.outbox; child processes (daphne) may be pointed at a real
# SMTP server by the tests through the environment.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend") or ""
PUBLIC_PORT = env("PUBLIC_PORT", "") or ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the source folders (no collectstatic in development or tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# A realtime event whose type is not declared, or whose payload does not match its declaration,
# raises in the action that sends it (apps.core.events); production logs it.
REALTIME_EVENTS_STRICT = True

# Outgoing webhooks reach the tests' own local receivers (the tests of the refusals turn these off),
# and retry within seconds.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", True)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", True)
WEBHOOK_RETRY_DELAYS = [int(x) for x in env_list("WEBHOOK_RETRY_DELAYS", "1,1,1")]
# What processes remember of a tenant's settings: nothing in the tests (a change applies at once);
# the benchmarks set the production defaults.
WEBHOOK_SUBSCRIPTION_CACHE_SECONDS = float(env("WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", "0") or 0)
MAIL_SETTINGS_CACHE_SECONDS = float(env("MAIL_SETTINGS_CACHE_SECONDS", "0") or 0)

# No request or frame limits unless the environment sets them: the tests of the limits start web
# processes of their own with small ones (tests/core/test_rate_limits.py); the benchmarks measure a
# process at its capacity.
API_RATE_LIMIT_TENANT = float(env("API_RATE_LIMIT_TENANT", "0") or 0)
API_RATE_LIMIT_USER = float(env("API_RATE_LIMIT_USER", "0") or 0)
WS_FRAME_RATE_LIMIT_TENANT = float(env("WS_FRAME_RATE_LIMIT_TENANT", "0") or 0)
WS_FRAME_RATE_LIMIT_USER = float(env("WS_FRAME_RATE_LIMIT_USER", "0") or 0)
