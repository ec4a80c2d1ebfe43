"""Aqari settings: one module, driven by environment variables.

Development (`AQARI_DEBUG=1`, what `make run` and `make test` set) falls back to the embedded
PostgreSQL and Redis under `.data/` and to the in-process fake providers. Production
(`AQARI_DEBUG` unset) refuses to start without its secrets, and a system check refuses fakes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def required(name: str, dev_default: str) -> str:
    value = env(name)
    if value is not None:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when AQARI_DEBUG is off.")


DEBUG = env_bool("AQARI_DEBUG", False)
# Developer tools (the fake providers' outbox page) follow DEBUG as it was configured, not as
# the test runner later overrides it.
DEV_TOOLS = DEBUG

SECRET_KEY = required("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")
AQARI_BASE_DOMAIN = env("AQARI_BASE_DOMAIN", "localhost")
AQARI_PUBLIC_SCHEME = env("AQARI_PUBLIC_SCHEME", "http" if DEBUG else "https")
AQARI_PUBLIC_PORT = env("AQARI_PUBLIC_PORT", "8000" if DEBUG else "")
AQARI_DATA_DIR = Path(env("AQARI_DATA_DIR", str(BASE_DIR / ".data")))

ALLOWED_HOSTS = [AQARI_BASE_DOMAIN, f".{AQARI_BASE_DOMAIN}"]
if DEBUG:
    ALLOWED_HOSTS += ["testserver", "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()]


# --- Database -------------------------------------------------------------------------------


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgresql:// URL.")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    host = query.pop("host", None) or unquote(parsed.hostname or "")
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": int(env("DATABASE_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": query,
        "TEST": {"NAME": env("TEST_DATABASE_NAME", None)},
    }


def embedded_database_url() -> str:
    return f"postgresql://postgres@/aqari?host={AQARI_DATA_DIR / 'pg'}"


def embedded_redis_url() -> str:
    return f"unix://{AQARI_DATA_DIR / 'redis' / 'redis.sock'}?db=0"


DATABASE_URL = required("DATABASE_URL", embedded_database_url())
DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASE_ROUTERS = ("aqari.routers.AqariSyncRouter", "django_tenants.routers.TenantSyncRouter")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: cache, Celery -------------------------------------------------------------------

REDIS_URL = required("REDIS_URL", embedded_redis_url())
# The test suite keeps to its own Redis database, so a running `make run` worker never picks up
# a test's task and tests never see development data.
AQARI_TEST = env_bool("AQARI_TEST", False)
if AQARI_TEST:
    _redis = urlparse(REDIS_URL)
    if _redis.scheme == "unix":
        REDIS_URL = f"unix://{_redis.path}?db=15"
    else:
        REDIS_URL = _redis._replace(path="/15").geturl()


# Every key we write to Redis starts with this. Each test run has its own, so two runs at once
# (or a run beside `make run`) never see each other's cache, rate limits or fake outbox.
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", f"test{os.getpid()}" if AQARI_TEST else "aqari")


def celery_url(redis_url: str, *, broker: bool) -> str:
    """kombu spells a unix socket `redis+socket://` and takes its database as `virtual_host`
    (the broker) or `db` (the result backend); redis-py spells it `unix://...?db=N`."""
    parsed = urlparse(redis_url)
    if parsed.scheme != "unix":
        return redis_url
    db = parse_qs(parsed.query).get("db", ["0"])[-1]
    return f"redis+socket://{parsed.path}?{'virtual_host' if broker else 'db'}={db}"


CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Without the tenant-aware key function, cache entries leak between agencies.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": REDIS_KEY_PREFIX,
    }
}

CELERY_BROKER_URL = celery_url(REDIS_URL, broker=True)
CELERY_RESULT_BACKEND = celery_url(REDIS_URL, broker=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Tests run tasks in-process unless a test starts a real worker (see tests/test_celery.py).
CELERY_TASK_ALWAYS_EAGER = AQARI_TEST
CELERY_TASK_EAGER_PROPAGATES = AQARI_TEST
CELERY_TIMEZONE = "UTC"
# Queues by kind of work, so workers can scale each (docker-compose runs one worker on all of
# them; a worker started without -Q consumes every queue declared here).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("celery", "outbound", "inbound", "ai", "maintenance")
]
CELERY_TASK_ROUTES = {
    # Email and, later, messages to people.
    "core.tasks.email_send": {"queue": "outbound"},
    # Provider webhooks' events, processed after they were stored.
    "*.meta_lead_process": {"queue": "inbound"},
    # Beat's fan-out and the sweeps that find lost work.
    "core.tasks.fan_out": {"queue": "maintenance"},
    "*_sweep": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE: dict = {
    # Webhook events whose queued task was lost (Redis restart, crash before publish).
    "webhook-events-sweep": {
        "task": "tenants.tasks.webhook_events_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Due follow-up reminders, swept in every agency (core.tasks.fan_out → leads.tasks).
    "follow-up-reminders": {
        "task": "core.tasks.fan_out",
        "args": ("leads.tasks.follow_up_reminders_sweep",),
        # Spread the agencies' sweeps over part of the minute so they don't all hit at once.
        "kwargs": {"jitter_seconds": 20, "expires": 55},
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Imports and assignment emails whose queued task was lost (leads.tasks.lost_work_sweep).
    "lost-work-sweep": {
        "task": "core.tasks.fan_out",
        "args": ("leads.tasks.lost_work_sweep",),
        "kwargs": {"expires": 110},
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # Invitation emails whose queued task was lost (accounts.tasks).
    "invitation-emails-sweep": {
        "task": "core.tasks.fan_out",
        "args": ("accounts.tasks.invitation_emails_sweep",),
        "kwargs": {"expires": 110},
        "schedule": 120.0,
        "options": {"expires": 110},
    },
}


# --- Apps -----------------------------------------------------------------------------------

SHARED_APPS = [
    "django_tenants",
    "core",
    "tenants",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "aqari",
    "accounts",
    "privacy",
    "demo",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "accounts",
    "leads",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]

TENANT_MODEL = "tenants.Agency"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "aqari.urls_public"
ROOT_URLCONF = "aqari.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# New agencies are cloned from this ready schema instead of replaying every migration.
TENANT_BASE_SCHEMA = "agency_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.AgencyStatusMiddleware",
    "accounts.middleware.MembershipMiddleware",
]

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
                "aqari.context_processors.shell",
            ],
        },
    }
]

WSGI_APPLICATION = "aqari.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("AQARI_FAST_PASSWORD_HASHER", False):
    # Test runs only: hashing cost is not what the suite measures.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- allauth --------------------------------------------------------------------------------

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.AgencyLoginForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/ip,5/5m/key",
    "reset_password": "5/m/ip,3/m/key",
    "signup": "10/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Aqari: "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Aqari"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# --- i18n -----------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("العربية"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "aqari_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Dubai"

# --- Static ---------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "aqari" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(AQARI_DATA_DIR / "media")))
MEDIA_URL = "/media/"

# --- Security -------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# --- Providers ------------------------------------------------------------------------------

RESEND_API_KEY = env("RESEND_API_KEY")
AQARI_EMAIL_PROVIDER = env("AQARI_EMAIL_PROVIDER", "resend" if RESEND_API_KEY else "fake")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Aqari <no-reply@aqari.localhost>")
EMAIL_BACKEND = "core.providers.email.ProviderEmailBackend"

# Meta lead ads: the app secret signs webhooks, the verify token answers Meta's handshake, the
# page access token reads a lead's fields from the Graph API. Production without them has lead
# ads switched off ("off"), never the fake.
META_PAGE_ACCESS_TOKEN = env("META_PAGE_ACCESS_TOKEN")
AQARI_META_PROVIDER = env(
    "AQARI_META_PROVIDER", "graph" if META_PAGE_ACCESS_TOKEN else ("fake" if DEBUG else "off")
)
META_APP_SECRET = env("META_APP_SECRET", "dev-meta-app-secret" if DEBUG else None)
META_VERIFY_TOKEN = env("META_VERIFY_TOKEN", "dev-meta-verify-token" if DEBUG else None)
if AQARI_META_PROVIDER not in {"graph", "fake", "off"}:
    raise ImproperlyConfigured("AQARI_META_PROVIDER must be graph, fake or off.")
if AQARI_META_PROVIDER == "graph" and not (
    META_PAGE_ACCESS_TOKEN and META_APP_SECRET and META_VERIFY_TOKEN
):
    raise ImproperlyConfigured(
        "Meta lead ads need META_PAGE_ACCESS_TOKEN, META_APP_SECRET and META_VERIFY_TOKEN."
    )

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_personal_data": {"()": "core.logging.ScrubPersonalDataFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", "plain" if DEBUG else "json"),
            "filters": ["scrub_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
