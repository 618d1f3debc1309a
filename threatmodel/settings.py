"""One settings module, read from the environment.

Development needs nothing set: `make run` starts embedded PostgreSQL and Valkey and passes their URLs in.
Production sets DEBUG=false and must give SECRET_KEY, ALLOWED_HOSTS, SITE_URL, DATABASE_URL and REDIS_URL.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_required(name: str, why: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why}")
    return value


DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "development-only-secret-key-never-used-in-production")
else:
    SECRET_KEY = env_required("SECRET_KEY", "set it to a long random string when DEBUG is off")

if DEBUG:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
else:
    env_required("ALLOWED_HOSTS", "list the host names the site answers to, separated by commas")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if not DEBUG:
    env_required("SITE_URL", "give the site's public address, used in links in emails")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django.contrib.postgres",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "projects",
    "risks",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "threatmodel.urls"
WSGI_APPLICATION = "threatmodel.wsgi.application"
ASGI_APPLICATION = "threatmodel.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.organisations",
                "projects.notification_views.unread_notifications",
            ],
        },
    },
]

# PostgreSQL everywhere; there is no SQLite fallback.
DATABASE_URL = env_required(
    "DATABASE_URL",
    "give a PostgreSQL URL, or start the app with `make run` (it provides an embedded server)",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_required(
    "REDIS_URL",
    "give a Redis-protocol URL, or start the app with `make run` (it provides an embedded Valkey)",
)


def _next_database(url: str) -> str:
    """The same Redis-protocol server, the next of its 16 numbered databases."""
    parts = urlsplit(url)
    number = parts.path.strip("/")
    following = (int(number) + 1) % 16 if number.isdigit() else 1
    return urlunsplit(parts._replace(path=f"/{following}"))


# The cache lives apart from the broker's queues, so clearing it (cache.clear() flushes its database) never
# drops queued tasks. CACHE_URL chooses another place; by default it is the broker's next database.
CACHE_URL = env_str("CACHE_URL", _next_database(REDIS_URL))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}

# Sessions are kept in the database and read through the cache: every page, and every poll of a live page or of
# the notifications badge, finds its session without a query; a cleared cache only sends the read to the table.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "projects.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; nobody signs up without an invitation.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "projects.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None

_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_email_backend = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG else _SMTP_BACKEND
)
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 10,
        }
        if _email_backend == _SMTP_BACKEND
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Threat Model <noreply@localhost>")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Only browser developer tools fetch source maps; compressing the vendored ones would triple collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Report PDFs (and any other file the app makes) live here, under random names, served only through views that
# check access. Web and worker processes must share it (a shared volume; see docker-compose.yml).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security headers; production values unless DEBUG is on.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading binds every subdomain of the operator's domain into browsers for months and is slow to undo, so
# it is their decision (SECURE_HSTS_PRELOAD=true), not a deploy-check warning (security.W021) to fix.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "projects.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "projects.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Threat Model API",
    "DESCRIPTION": "Organisations, teams, members and threat models. Authenticate with a personal access "
    "token: `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENABLE_DJANGO_DEPLOY_CHECK": True,
    # Choice sets that share a field name ("status", "kind") or their values ("integrity" and "availability"
    # rate with Rating) get one name each, so the schema has no numbered enums.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "ThreatStatusEnum": "projects.models.ThreatStatus",
        "ControlStatusEnum": "projects.models.ControlStatus",
        "AssetKindEnum": "projects.models.AssetKind",
        "ComponentKindEnum": "projects.models.ComponentKind",
        "ControlKindEnum": "projects.models.ControlKind",
        "RatingEnum": "projects.models.Rating",
        "DataClassificationEnum": "projects.models.DataClassification",
        "ModelReviewDecisionEnum": "projects.review_models.ReviewDecision",
        "ModelReviewVerdictEnum": "projects.review_models.VERDICT_CHOICES",
        "ThreatReviewDecisionEnum": "projects.review_models.ThreatReviewDecision",
        "NotificationKindEnum": "projects.notification_models.NotificationKind",
    },
}

# History rows are stamped with the time of the change, not of the transaction, so the order of changes
# made in one transaction (a threat and its links) is the order they happened in.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep our JSON log lines in the worker too
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "expire-invitations": {"task": "projects.tasks.expire_invitations", "schedule": 3600.0},
    "expire-acceptances": {"task": "risks.tasks.expire_acceptances", "schedule": 3600.0},
    "take-risk-snapshots": {"task": "risks.tasks.take_daily_snapshots", "schedule": 86_400.0},
    "sweep-abandoned-reports": {"task": "reports.tasks.sweep_abandoned_reports", "schedule": 60.0},
    "send-scheduled-reports": {
        "task": "reports.schedule_tasks.request_scheduled_reports",
        "schedule": 3600.0,
    },
    # Reminders in the morning, so they are read that day; the digest at the end of the working day.
    "send-daily-reminders": {
        "task": "projects.reminder_tasks.send_daily_reminders",
        "schedule": crontab(minute=7, hour=6),
    },
    "send-notification-digests": {
        "task": "projects.notification_tasks.send_notification_digests",
        "schedule": crontab(minute=0, hour=17),
    },
    # Notification e-mails a worker was sending when it stopped, or whose retry was lost, are sent again.
    "resend-lost-notification-emails": {
        "task": "projects.notification_tasks.resend_lost_notification_emails",
        "schedule": 300.0,
    },
    # Deliveries a worker lost (it died mid-attempt) are sent again; old delivery log rows are pruned.
    "sweep-webhook-deliveries": {
        "task": "projects.webhook_tasks.sweep_webhook_deliveries",
        "schedule": 300.0,
    },
}
# Tasks outside a `tasks` module (see their docstrings).
CELERY_IMPORTS = [
    "reports.schedule_tasks",
    "projects.notification_tasks",
    "projects.reminder_tasks",
    "projects.webhook_tasks",
]
# A worker is replaced after its tasks grew it past this (KiB): a large PDF's memory goes back to the machine.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 1_000_000)

# PDF reports (reports.jobs, reports.tasks). A job's lease is renewed at every progress step; a worker that
# died loses its lease after REPORT_LEASE_SECONDS and the job is claimed again, at most REPORT_MAX_ATTEMPTS
# times. The broker hands an unacknowledged task to another worker only after its visibility timeout, which must
# be longer than the hard time limit, or a slow report would be made twice at once.
REPORT_LEASE_SECONDS = env_int("REPORT_LEASE_SECONDS", 120)
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3)
REPORT_SOFT_TIME_LIMIT = env_int("REPORT_SOFT_TIME_LIMIT", 300)
REPORT_TIME_LIMIT = env_int("REPORT_TIME_LIMIT", 360)
REPORT_MAX_OPEN_PER_ORGANISATION = env_int("REPORT_MAX_OPEN_PER_ORGANISATION", 5)
REPORT_MAX_RUNNING_PER_ORGANISATION = env_int("REPORT_MAX_RUNNING_PER_ORGANISATION", 2)
REPORT_BUSY_RETRY_SECONDS = env_int("REPORT_BUSY_RETRY_SECONDS", 10)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= REPORT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than REPORT_TIME_LIMIT.")

# Webhooks (projects.webhooks, projects.webhook_delivery). Endpoints are public https:// addresses: private,
# loopback and link-local ones are refused (server-side request forgery) unless WEBHOOKS_ALLOW_PRIVATE, and
# http:// unless WEBHOOKS_ALLOW_HTTP; both are for a local test receiver, never for production. A delivery is
# tried up to WEBHOOKS_MAX_ATTEMPTS times, waiting 1, 2, 4, ... times WEBHOOKS_RETRY_BASE_SECONDS between; that
# many failed attempts in a row mark an endpoint failing.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 8)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 60)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
WEBHOOKS_LOG_DAYS = env_int("WEBHOOKS_LOG_DAYS", 30)

# Notification e-mails (projects.notification_mail). One that fails for now (no connection, a busy server) is tried
# again after 1, 2, 4, ... times NOTIFICATION_EMAIL_RETRY_BASE_SECONDS, up to NOTIFICATION_EMAIL_MAX_ATTEMPTS
# attempts; one whose worker stopped mid-send is sent again once NOTIFICATION_EMAIL_LEASE_SECONDS have passed.
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 5)
NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = env_int("NOTIFICATION_EMAIL_RETRY_BASE_SECONDS", 60)
NOTIFICATION_EMAIL_LEASE_SECONDS = env_int("NOTIFICATION_EMAIL_LEASE_SECONDS", 600)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every warning a second time, unformatted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every step of every PDF at INFO; its warnings (a skipped resource) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
