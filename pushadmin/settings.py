"""pushadmin settings: everything comes from environment variables (see README).

Embedded defaults (SQLite in WAL mode, kombu's filesystem broker, generated keys under
var/) need nothing installed; `PUSHADMIN_ENV=production` refuses those defaults.
"""

from __future__ import annotations

import os

import dj_database_url

from pushadmin import config

env = config.Env(os.environ)
BASE_DIR = config.BASE_DIR
PUSHADMIN_ENV = config.environment_name(env)
PRODUCTION = PUSHADMIN_ENV == "production"
VAR_DIR = config.var_dir(env)

SECRET_KEY = config.secret_key(env, PRODUCTION, VAR_DIR)
DEBUG = env.flag("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise config.ConfigError("DEBUG must be off when PUSHADMIN_ENV=production")
ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise config.ConfigError("ALLOWED_HOSTS must list this site's host names in production")
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", "")

PUSHADMIN_ENCRYPTION_KEYS = config.encryption_keys(env, PRODUCTION, VAR_DIR)
# `make run` starts the sandbox on SANDBOX_PORT: the demo workspace points there unless told otherwise.
PUSHADMIN_SANDBOX_URL = env.text(
    "PUSHADMIN_SANDBOX_URL", f"http://127.0.0.1:{env.integer('SANDBOX_PORT', 8765, minimum=1, maximum=65535)}"
)
# Hosts signed calls may go to (https only); loopback is added in development, for the sandbox.
PUSHADMIN_ALLOWED_ENDPOINT_HOSTS = config.allowed_endpoint_hosts(env)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_otp",
    "pushadmin.accounts",
    "pushadmin.workspaces",
    "pushadmin.audit",
    "pushadmin.audiences",
    "pushadmin.campaigns",
    "pushadmin.reviews",
    "pushadmin.delivery",
    "pushadmin.analytics",
    "pushadmin.safety",
    "pushadmin.sandbox",
    "pushadmin.console",
    "pushadmin.notifications",
    "pushadmin.operations",
    "pushadmin.api",
    "pushadmin.webhooks",
]

MIDDLEWARE = [
    "pushadmin.operations.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pushadmin.accounts.preferences.PreferenceMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pushadmin.accounts.middleware.HtmxSignInRedirectMiddleware",
    "pushadmin.accounts.middleware.SessionLifetimeMiddleware",
    "pushadmin.accounts.sessions.SessionRecordMiddleware",
    "pushadmin.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "pushadmin.urls"
WSGI_APPLICATION = "pushadmin.wsgi.application"

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
                "pushadmin.accounts.context_processors.navigation",
                "pushadmin.accounts.preferences.appearance",
                "pushadmin.notifications.context_processors.bell",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(config.database_url(env, VAR_DIR), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    config.private_sqlite_file(str(DATABASES["default"]["NAME"]))
    # WAL lets readers work while the worker writes; IMMEDIATE avoids "database is locked"
    # when a read-then-write transaction upgrades its lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
PUSHADMIN_SESSION_MAX_HOURS = env.integer("SESSION_MAX_HOURS", 12, minimum=1)
PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT = env.integer("PUSHADMIN_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
PUSHADMIN_LOGIN_FAILURES_PER_IP = env.integer("PUSHADMIN_LOGIN_FAILURES_PER_IP", 30, minimum=1)
# Password-reset requests per hour for one e-mail address, and from one client address.
PUSHADMIN_RESETS_PER_EMAIL = env.integer("PUSHADMIN_RESETS_PER_EMAIL", 3, minimum=1)
PUSHADMIN_RESETS_PER_CLIENT = env.integer("PUSHADMIN_RESETS_PER_CLIENT", 20, minimum=1)
PUSHADMIN_LOCKOUT_MINUTES = env.integer("PUSHADMIN_LOCKOUT_MINUTES", 15, minimum=1)
# How many reverse proxies append to X-Forwarded-For in front of the web processes; 0 trusts
# only the socket address, so a client cannot pick its own IP to dodge the login throttle.
PUSHADMIN_TRUSTED_PROXY_COUNT = env.integer("PUSHADMIN_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
OTP_TOTP_ISSUER = "pushadmin"
EMAIL_BACKEND = config.email_backend(env, PRODUCTION)
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.text("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "pushadmin@localhost")
# The address people open pushadmin at, for the links in notification mail.
PUSHADMIN_SITE_URL = env.text("PUSHADMIN_SITE_URL", "http://127.0.0.1:8000")
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

LANGUAGE_CODE = "en"
# English is the source language; the Chinese catalogue is compiled and committed (pushadmin/locale),
# so running the console needs no gettext tools.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "pushadmin" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PUSHADMIN_DEFAULT_TIME_ZONE = env.text("PUSHADMIN_DEFAULT_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "uploads"  # outside any served folder on purpose
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The size limit first, so an oversized file is skipped before it reaches memory or the temporary folder.
FILE_UPLOAD_HANDLERS = [
    "pushadmin.audiences.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
PUSHADMIN_MAX_UPLOAD_MB = env.integer("PUSHADMIN_MAX_UPLOAD_MB", 200, minimum=1)
PUSHADMIN_TEST_SENDS_PER_HOUR = env.integer("PUSHADMIN_TEST_SENDS_PER_HOUR", 20, minimum=1)
PUSHADMIN_INVITATIONS_PER_HOUR = env.integer("PUSHADMIN_INVITATIONS_PER_HOUR", 20, minimum=1)
PUSHADMIN_INVITATION_HOURS = env.integer("PUSHADMIN_INVITATION_HOURS", 72, minimum=1, maximum=720)
PUSHADMIN_IMPORTS_PER_HOUR = env.integer("PUSHADMIN_IMPORTS_PER_HOUR", 10, minimum=1)
PUSHADMIN_MAX_AUDIENCE_ROWS = env.integer("PUSHADMIN_MAX_AUDIENCE_ROWS", 5_000_000, minimum=1)
# Calls one API token may make per minute (pushadmin.api.tokens.take_call).
PUSHADMIN_API_CALLS_PER_MINUTE = env.integer("PUSHADMIN_API_CALLS_PER_MINUTE", 120, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.flag("PUSHADMIN_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A load balancer's health checks often speak plain HTTP to the web process.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse these cookies unless Secure, Path=/ and without
    # Domain, so a sibling subdomain cannot plant or overwrite them.
    SESSION_COOKIE_NAME = "__Host-pushadmin_session"
    CSRF_COOKIE_NAME = "__Host-pushadmin_csrf"
    SECURE_SSL_REDIRECT = env.flag("PUSHADMIN_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.integer("PUSHADMIN_HSTS_SECONDS", 31_536_000, minimum=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The builder's scans of large campaigns are kept here, shared by the web processes and the
# workers (a worker scans a campaign once its rows are built, so the builder opens at once).
CACHES = config.caches(env, VAR_DIR)
CELERY_BROKER_URL = config.broker_url(env)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
else:
    # Above the longest task (a batch send is bounded by the HTTP timeouts) so Redis does
    # not redeliver a task that is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection around every task unless told to reuse
# them; a new PostgreSQL backend per task costs more than the task's own queries. Workers instead
# close only broken or expired connections (CONN_MAX_AGE) around each task (pushadmin/celery.py),
# and the fixup recycles them every 500 tasks.
CELERY_DB_REUSE_MAX = 500
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# Sending (pushadmin.delivery): the database is the source of truth, so the beat-driven sweeper
# re-drives expired leases, lost tasks and due schedules every PUSHADMIN_SWEEP_SECONDS.
PUSHADMIN_SWEEP_SECONDS = env.integer("PUSHADMIN_SWEEP_SECONDS", 10, minimum=1)
PUSHADMIN_SEND_LEASE_SECONDS = env.integer("PUSHADMIN_SEND_LEASE_SECONDS", 60, minimum=5)
PUSHADMIN_SEND_STALL_SECONDS = env.integer("PUSHADMIN_SEND_STALL_SECONDS", 30, minimum=1)
PUSHADMIN_SEND_BACKOFF_BASE_MS = env.integer("PUSHADMIN_SEND_BACKOFF_BASE_MS", 500, minimum=1)
PUSHADMIN_SEND_BACKOFF_CAP_MS = env.integer("PUSHADMIN_SEND_BACKOFF_CAP_MS", 60_000, minimum=1)
PUSHADMIN_AUTO_PAUSE_AFTER = env.integer("PUSHADMIN_AUTO_PAUSE_AFTER", 10, minimum=1)
PUSHADMIN_SEND_HTTP_TIMEOUT = env.integer("PUSHADMIN_SEND_HTTP_TIMEOUT", 10, minimum=1)
# Batches claimed and sent together by one task (one claim); they are recorded a step at a time.
PUSHADMIN_SEND_GROUP_BATCHES = env.integer("PUSHADMIN_SEND_GROUP_BATCHES", 20, minimum=1)
# Calls between two recording transactions: also the most calls each pool process of a killed worker
# can leave in doubt (a batch is in doubt only once its call has started).
PUSHADMIN_SEND_CALLS_PER_STEP = env.integer("PUSHADMIN_SEND_CALLS_PER_STEP", 10, minimum=1)
# Calls one worker keeps in flight at once (never more than a step's, nor the workspace's calls per second).
# By default a whole step's: a window smaller than the step waits for the gateway twice per step (8 of
# 10 calls, then 2), which at 200 ms latency cost 40 % of the throughput (benchmark.py's docstring).
PUSHADMIN_SEND_WINDOW = env.integer(
    "PUSHADMIN_SEND_WINDOW", min(PUSHADMIN_SEND_CALLS_PER_STEP, 64), minimum=1, maximum=64
)
CELERY_TASK_DEFAULT_QUEUE = env.text("PUSHADMIN_CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE["delivery-sweep"] = {
    "task": "pushadmin.delivery.tasks.sweep",
    "schedule": float(PUSHADMIN_SWEEP_SECONDS),
}
# Delivery analytics (pushadmin.analytics): the beat-driven sync reads mPaaS's figures of campaigns sent
# in the last 90 days, each run for at most PUSHADMIN_ANALYTICS_RUN_SECONDS, re-reading a fresh campaign
# every PUSHADMIN_ANALYTICS_FRESH_SECONDS, and backing off from BASE to CAP seconds after failed reads.
# 0 turns the scheduled sync off (the task can still be sent to a worker by hand).
PUSHADMIN_ANALYTICS_SYNC_SECONDS = env.integer("PUSHADMIN_ANALYTICS_SYNC_SECONDS", 60, minimum=0)
PUSHADMIN_ANALYTICS_RUN_SECONDS = env.integer("PUSHADMIN_ANALYTICS_RUN_SECONDS", 30, minimum=1)
PUSHADMIN_ANALYTICS_FRESH_SECONDS = env.integer("PUSHADMIN_ANALYTICS_FRESH_SECONDS", 300, minimum=1)
PUSHADMIN_ANALYTICS_BACKOFF_BASE_SECONDS = env.integer("PUSHADMIN_ANALYTICS_BACKOFF_BASE_SECONDS", 60, minimum=1)
PUSHADMIN_ANALYTICS_BACKOFF_CAP_SECONDS = env.integer("PUSHADMIN_ANALYTICS_BACKOFF_CAP_SECONDS", 3600, minimum=1)
# Calls of unknown outcome: looked up by task name at most this often, and shown as absent from mPaaS's
# records once this long has passed since the call.
PUSHADMIN_ANALYTICS_LOOKUP_SECONDS = env.integer("PUSHADMIN_ANALYTICS_LOOKUP_SECONDS", 60, minimum=1)
PUSHADMIN_ANALYTICS_ABSENT_AFTER_SECONDS = env.integer("PUSHADMIN_ANALYTICS_ABSENT_AFTER_SECONDS", 900, minimum=1)
if PUSHADMIN_ANALYTICS_SYNC_SECONDS:
    CELERY_BEAT_SCHEDULE["analytics-sync"] = {
        "task": "pushadmin.analytics.tasks.sync_figures",
        "schedule": float(PUSHADMIN_ANALYTICS_SYNC_SECONDS),
    }
# Safety nets (pushadmin.safety): campaigns paused for quiet hours resume within this long of their end.
PUSHADMIN_SAFETY_SWEEP_SECONDS = env.integer("PUSHADMIN_SAFETY_SWEEP_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["safety-sweep"] = {
    "task": "pushadmin.safety.tasks.sweep",
    "schedule": float(PUSHADMIN_SAFETY_SWEEP_SECONDS),
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The filesystem transport polls its folder; a short interval keeps approval-to-first-send fast.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.05

# Webhooks (pushadmin.webhooks): failed tries in a row before an endpoint is disabled; lost tasks re-driven.
PUSHADMIN_WEBHOOK_DISABLE_AFTER = env.integer("PUSHADMIN_WEBHOOK_DISABLE_AFTER", 15, minimum=1)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "pushadmin.webhooks.tasks.sweep", "schedule": 60.0}

# Prometheus metrics (pushadmin.operations.metrics): every process writes its samples to this folder.
PROMETHEUS_MULTIPROC_DIR = config.metrics_dir(env, VAR_DIR)
PUSHADMIN_METRICS_TOKEN = config.metrics_token(env)

# One line per event; LOG_FORMAT=json makes each a JSON object with the request, workspace,
# campaign and batch ids known when it was logged (pushadmin.operations.log_context).
LOG_FORMAT = config.log_format(env)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ids": {"()": "pushadmin.operations.log_context.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pushadmin.operations.log_format.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["ids"]}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO").upper()},
    # Every call to mPaaS is kept as an attempt row; a log line per HTTP request would only repeat it.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
# Celery would otherwise replace the root logger's handler with its own plain one.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
