"""The one settings file. Every knob is an environment variable (see .env.example).

Defaults give the embedded demo mode: SQLite and a filesystem Celery broker
under var/, DEBUG on and an insecure key, which `check --deploy` flags.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from vocplatform.env import email_settings, env_bool, env_choice, env_int, env_list, env_str, env_url, redacted

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "django-insecure-embedded-demo-key-change-me")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=["http", "https"], require_host=True).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "vocplatform",
    "surveys",
    "loops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vocplatform.middleware.ContentSecurityPolicyMiddleware",
    "vocplatform.middleware.NulQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vocplatform.middleware.UserTimezoneMiddleware",
    "vocplatform.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "vocplatform.urls"
WSGI_APPLICATION = "vocplatform.wsgi.application"
ASGI_APPLICATION = "vocplatform.asgi.application"

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
                "vocplatform.context_processors.navigation",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'vocplatform.sqlite3'}",
    schemes=["sqlite", "postgres", "postgresql", "pgsql"],
)
# Seconds PostgreSQL may take to open a connection: a server that does not answer then (a failover,
# a dropped network path) is a 503 page, not a request held until gunicorn kills its worker.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=2)  # libpq reads less as 2
# Seconds one statement may run on PostgreSQL in a process that serves web requests (wsgi.py,
# asgi.py and runstack's web server set WEB_PROCESS_VARIABLE): a query stuck behind a row lock or on
# a runaway plan is cancelled and the request becomes the 503 page, instead of holding the worker
# until gunicorn kills it (its --timeout, 30 s by default) and the customer's connection drops.
# Workers, beat and commands are not bounded: a report or a batch may rightly run longer. 0 turns
# it off. It travels as the connection's startup `options`, ahead of the ones the operator gave
# (`?options=` in DATABASE_URL, else PGOPTIONS, which libpq would otherwise drop), so that their own
# statement_timeout wins; it outranks an ALTER ROLE/DATABASE ... SET. PgBouncer refuses the
# parameter unless it is listed in its ignore_startup_parameters, which drops the timeout.
DATABASE_WEB_STATEMENT_TIMEOUT = env_int("DATABASE_WEB_STATEMENT_TIMEOUT", 20, minimum=0)
WEB_PROCESS_VARIABLE = "VOCPLATFORM_WEB_PROCESS"
# Persistent connections: opening one costs ~7 ms, most of a small request (bench/submit.py).
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0), conn_health_checks=True
    )
except ValueError:  # dj_database_url.ParseError: a port that is no number, say
    raise ImproperlyConfigured(
        f"DATABASE_URL={redacted(DATABASE_URL)!r} is not a database URL that can be read."
    ) from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue up instead of failing mid-transaction.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    _database.setdefault("OPTIONS", {})
    _database["OPTIONS"].setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)  # ?connect_timeout= in the URL wins
    # Parameters sent apart from the SQL, and a statement run this many times on a connection is
    # prepared: PostgreSQL then skips parsing and planning the hot lookups (a survey link's, the
    # throttle's, the answer's own statement), about half of its CPU per answer (bench/peer.py).
    # 0 turns both off, for a pooler in transaction mode that cannot keep prepared statements.
    _prepare_threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0)
    if _prepare_threshold:
        _database["OPTIONS"].update(server_side_binding=True, prepare_threshold=_prepare_threshold)
    if DATABASE_WEB_STATEMENT_TIMEOUT and env_bool(WEB_PROCESS_VARIABLE, False):
        _given = _database["OPTIONS"].get("options") or env_str("PGOPTIONS", "")
        _options = f"-c statement_timeout={DATABASE_WEB_STATEMENT_TIMEOUT}s {_given}"  # the last -c of a name wins
        _database["OPTIONS"]["options"] = _options.strip()
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- users ----------------------------------------------------------------------
AUTH_USER_MODEL = "vocplatform.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n and time ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- static files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- email ---------------------------------------------------------------------------
EMAIL_URL = env_url("EMAIL_URL", "eml://", schemes=["smtp", "smtps", "eml", "memory"])
globals().update(email_settings(EMAIL_URL))
EML_OUTBOX_DIR = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vocplatform <noreply@vocplatform.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security (strict unless DEBUG) ------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", "filesystem://", schemes=["filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp", "memory"]
)
# Seconds one attempt to reach a network broker may wait for an answer.
BROKER_TIMEOUT_SECONDS = env_int("BROKER_TIMEOUT_SECONDS", 2, minimum=1)
# After a publish failed, a process does not try the broker for this long for work a sweeper finds
# (vocplatform.queueing), so customers' pages do not each wait out the timeout (0: always try).
BROKER_BACKOFF_SECONDS = env_int("BROKER_BACKOFF_SECONDS", 10, minimum=0)
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL == "filesystem://":
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A broker that takes the connection but never answers (frozen, failing over, or behind a
    # network path that drops packets) would hold a publish, and the customer's page, for ever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "max_retries": 1,  # connection attempts per publish: a failed publish is left to the sweepers
    }
    if CELERY_BROKER_URL.startswith("redis://"):
        CELERY_BROKER_TRANSPORT = "vocplatform.broker:Transport"  # a publish without a new client
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 30, minimum=1)

# --- REST framework -----------------------------------------------------------------------------
# Requests per window: "N/s", "N/min", "N/hour" or "N/day".
API_RATE_PER_KEY = env_str("API_RATE_PER_KEY", "600/min")
API_RATE_PER_USER = env_str("API_RATE_PER_USER", "300/min")
SURVEY_RATE_PER_IP = env_str("SURVEY_RATE_PER_IP", "60/min")
# Staff sign-in and password-reset attempts (POSTs): per address, and per username tried (so that
# guesses spread over many addresses are slowed too; the real person waits out the window at worst).
LOGIN_RATE_PER_IP = env_str("LOGIN_RATE_PER_IP", "20/min")
LOGIN_RATE_PER_USERNAME = env_str("LOGIN_RATE_PER_USERNAME", "10/min")
for _rate in (
    "API_RATE_PER_KEY",
    "API_RATE_PER_USER",
    "SURVEY_RATE_PER_IP",
    "LOGIN_RATE_PER_IP",
    "LOGIN_RATE_PER_USERNAME",
):
    if not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|day)", globals()[_rate]):
        raise ImproperlyConfigured(f"{_rate}={globals()[_rate]!r} is not a rate such as 600/min (s, min, hour, day).")
# How many reverse proxies append to X-Forwarded-For in front of the app (0: use REMOTE_ADDR).
TRUSTED_PROXIES = env_int("DJANGO_TRUSTED_PROXIES", 0, minimum=0)
REST_FRAMEWORK = {
    # The API key comes first: its class names the 401 challenge for a bad key.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vocplatform.apikeys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vocplatform.permissions.IsStaffUser", "vocplatform.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["vocplatform.throttling.ApiThrottle"],
    "DEFAULT_PAGINATION_CLASS": "vocplatform.api_pagination.Cursor",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1, maximum=500),  # the most `page_size` may ask
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "vocplatform.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "vocplatform.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "vocplatform.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "vocplatform API",
    "DESCRIPTION": (
        "Accounts and contacts, events, surveys, invitations, responses, loops, health and churn. "
        "Authenticate with `Authorization: Bearer <API key>` (or a staff session in the browser). "
        'Every error has the shape `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SurveyStatusEnum": "surveys.models.Survey.Status",
        "InvitationStatusEnum": "surveys.models.Invitation.Status",
        "QuestionKindEnum": "surveys.models.Question.Kind",
        "LoopStatusEnum": "loops.models.Loop.Status",
        "LoopStatusChangeEnum": "loops.api.loops.STATUS_CHANGES",
        "PlanStepStatusEnum": "loops.models.PlanStep.Status",
        "NoteKindEnum": "loops.models.Note.Kind",
    },
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- logging -----------------------------------------------------------------------------------------
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "vocplatform.log_filters.RedactSurveyTokens"}},
    "formatters": {"server": {"format": "[{asctime}] {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
        "server": {"class": "logging.StreamHandler", "filters": ["redact_tokens"], "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True)},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The development server's request log, which would otherwise print every survey link.
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

# --- the product -----------------------------------------------------------------------------------
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "vocdemo-2026")
DEMO_PASSWORD_GIVEN = env_str("DEMO_PASSWORD", "") != ""  # then load_demo applies it to existing demo users
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120, minimum=1)
SWEEP_SECONDS = env_int("SWEEP_SECONDS", 60, minimum=1)
# How long queued work (an analysis, an alert check) may wait for its task before a sweeper re-enqueues it.
SWEEP_GRACE_SECONDS = env_int("SWEEP_GRACE_SECONDS", 120, minimum=1)
ESCALATION_SECONDS = env_int("ESCALATION_SECONDS", 300, minimum=10)
DIGEST_HOUR_UTC = env_int("DIGEST_HOUR_UTC", 7, minimum=0, maximum=23)

# --- reports ----------------------------------------------------------------------------------------
# An NPS over fewer answers than this is drawn hollow and labelled "noise".
REPORTS_MIN_NPS_SAMPLE = env_int("REPORTS_MIN_NPS_SAMPLE", 30, minimum=1)
# Rows a PDF pack lists per table before it says how many more there are (the rest are in the export).
REPORTS_PACK_MAX_ROWS = env_int("REPORTS_PACK_MAX_ROWS", 500, minimum=10)
# A render whose worker died is claimed again after this long.
REPORTS_RENDER_LEASE_SECONDS = env_int("REPORTS_RENDER_LEASE_SECONDS", 900, minimum=60)

# --- webhooks ---------------------------------------------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=60)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120, minimum=10)
