"""Settings for the training-school CRM, read from the environment.

Defaults suit a developer laptop (DEBUG on, SQLite file, mail written to
``var/mail/``). With ``DEBUG=0`` the strict production defaults apply and
``SECRET_KEY`` and ``ALLOWED_HOSTS`` must be set.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver" if DEBUG else ""
)
if not ALLOWED_HOSTS and not DEBUG:
    # Without it every request is a 400; say so at start-up instead.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is off "
        "(comma-separated host names, e.g. crm.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # Anywhere after django.contrib.auth/contenttypes: see kingadmin/README.md.
    "kingadmin",
    "accounts",
    "crm",
    "student",
    "teacher",
    "timetable",
    "finance",
    "jobs",
    "webhooks",
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files need no policy, every page does. A
    # response that already carries one (private downloads) keeps it.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm_project.urls"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "crm_project.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the dev server and a management command share
    # the file without "database is locked" errors. Reads through a memory
    # map (256 MiB of address space, pages shared by every process through
    # the OS cache) instead of a 2 MiB private page cache filled by read()
    # calls: a search listing 5,000 customers of 100,000 takes 27 ms, not 40.
    # Connections are kept between requests (conn_max_age above), as on
    # PostgreSQL: opening one runs these pragmas and re-reads the schema,
    # a fifth of a list page under gunicorn (bench/throughput.py: 79 -> 100
    # requests/s).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA mmap_size=268435456;"
            ),
        }
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long analytical queries only, and
    # cost 0.3 s of compiling on a 0.2 s report query (PostgreSQL's own
    # advice for short queries).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out username+IP pairs.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
]

# Argon2id first (accounts/hashers.py: why these parameters); the others
# only check hashes stored before, which are upgraded at the next login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock out the username+IP pair, never the username
# alone, so an attacker elsewhere cannot lock a real user out; the lock lifts
# by itself after the cool-off period.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front of the app (each appends to X-Forwarded-For); every
# lockout and throttle reads the client address the same way.
CLIENT_IP_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are private: they live outside the static root, are never
# served by whitenoise or the web server, only by views that check access.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "uploads"))
# No URL pattern serves this prefix; Django only needs it to be a string.
MEDIA_URL = "/uploads/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# With S3_BUCKET, private files (ID documents, homework) live in S3-compatible
# object storage (django-storages): every instance reads what another wrote.
# They stay private: the bucket is never public and files are streamed by the
# same access-checked views (a URL, were one ever made, is signed and expires
# within a minute).
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "location": os.environ.get("S3_PREFIX", ""),
        },
    }
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: a file per message in var/mail/ by default so a person can read what
# was sent; EMAIL_BACKEND=smtp plus EMAIL_HOST etc. for real delivery.
_email_backends = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
EMAIL_BACKEND = _email_backends.get(
    os.environ.get("EMAIL_BACKEND", "file"), os.environ.get("EMAIL_BACKEND", "")
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# A cache shared by every process (rate limits must hold across gunicorn
# workers): a table in the database by default, created by `migrate`
# (accounts/migrations/0003_cache_table.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        # Rate-limit counters live here; the default of 300 entries would let
        # a burst of keys evict (reset) them.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
    # Each process's own: what can be rebuilt from the database and is keyed
    # by what decides it (rendered menus, accounts.selectors.menu_html).
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "crm-local",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}
# kingadmin keeps the related list filters' options (courses, sales, tags)
# and the rendered filters in the per-process cache for a minute
# (kingadmin/listcache.py).
KINGADMIN_LIST_CACHE = "local"
KINGADMIN_LIST_CACHE_SECONDS = 60
# Sessions in the database, each page's read with SQL compiled once
# (accounts/sessions.py); with Redis, Django's cached_db (below).
SESSION_ENGINE = "accounts.sessions"
# With REDIS_URL (redis://host:6379/0) Redis is the shared cache, for every
# instance: rate limits and the login throttle count there, and sessions are
# read from it (written through to the database, so a Redis restart logs
# nobody out).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "crm"),
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Enrollment links: lifetime, and how many requests a link or an address may
# make per window before being told to slow down.
# Background jobs (jobs/): Django's task framework through the django-tasks
# backport, queued in the database (django-tasks-db) and run by
# `manage.py worker` (started by `make run`). TASKS_BACKEND=immediate runs
# each job inside the request instead (no worker; what the tests use).
_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {
    "default": {
        "BACKEND": _task_backends[os.environ.get("TASKS_BACKEND", "database")],
    }
}

# kingadmin exports of lists longer than this many rows are written by a job
# (jobs/exports.py): the user follows the progress and gets a notification.
KINGADMIN_EXPORT_IN_BACKGROUND = "jobs.exports.export_start"
KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE = int(
    os.environ.get("EXPORT_IN_BACKGROUND_ABOVE", "5000")
)

# A worker not seen for this long is taken for dead: its running job is
# queued again (or failed). Longer than any pause of a live worker's beat.
JOBS_LOST_AFTER_SECONDS = int(os.environ.get("JOBS_LOST_AFTER_SECONDS", "30"))

# Webhooks (webhooks/): how long a receiver may take to connect and answer
# (seconds), and whether a subscription may target loopback or private
# addresses: off, so that nobody can point one at the school's own network
# (the tests turn it on for their receiver on loopback).
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

CRM_ENROLLMENT_LINK_DAYS = int(os.environ.get("CRM_ENROLLMENT_LINK_DAYS", "7"))
CRM_ENROLLMENT_RATE_LIMIT = int(os.environ.get("CRM_ENROLLMENT_RATE_LIMIT", "60"))
CRM_ENROLLMENT_RATE_WINDOW = 600
# Public lead forms (crm/capture_views.py): how many submissions one address
# may send per window, and which sites may frame the form (CSP
# frame-ancestors sources, space-separated; empty: any site).
CRM_LEAD_FORM_RATE_LIMIT = int(os.environ.get("CRM_LEAD_FORM_RATE_LIMIT", "10"))
CRM_LEAD_FORM_RATE_WINDOW = 600
CRM_LEAD_FORM_FRAME_ANCESTORS = os.environ.get(
    "CRM_LEAD_FORM_FRAME_ANCESTORS", "*"
).split()

# --- REST API (api/): Django REST framework, OpenAPI schema by drf-spectacular.
# Personal tokens or the session; each route decided by the permission rules
# (api.access); JSON only (the browsable API's inline scripts break the CSP;
# the documentation page is Swagger UI, vendored).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.RuleAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirst",
    "DEFAULT_FILTER_BACKENDS": ["api.filters.AdminListFilter"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Training School CRM API",
    "DESCRIPTION": (
        "Customers, follow-ups, enrollments, classes, sessions, payments and lead "
        "capture. Authenticate with `Authorization: Bearer <token>` (a personal "
        "API token, /api/tokens/). Each call is allowed by the same permission "
        "rules as the pages and sees the same rows."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.access.RuleAccess"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.error_responses",
    ],
}
# Calls per token (or per user with the session) and window, in the shared cache.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")

# Largest homework file a student may hand in.
STUDENT_HOMEWORK_MAX_BYTES = int(
    os.environ.get("STUDENT_HOMEWORK_MAX_BYTES", str(20 * 1024 * 1024))
)

# Lead imports (crm/imports.py): the largest spreadsheet accepted, and the most
# data rows read from it.
LEADS_IMPORT_MAX_BYTES = int(
    os.environ.get("LEADS_IMPORT_MAX_BYTES", str(50 * 1024 * 1024))
)
LEADS_IMPORT_MAX_ROWS = int(os.environ.get("LEADS_IMPORT_MAX_ROWS", "100000"))
# Leads nobody has followed up for longer than this may be worked by any sales.
CRM_STALE_LEAD_DAYS = int(os.environ.get("CRM_STALE_LEAD_DAYS", "30"))
# Absence alerts (teacher.tasks.absences_alert): a student whose share of
# lessons attended falls below this, after at least ATTENDANCE_ALERT_AFTER
# lessons, is reported to their consultant and teachers.
ATTENDANCE_ALERT_RATE = float(os.environ.get("ATTENDANCE_ALERT_RATE", "0.8"))
ATTENDANCE_ALERT_AFTER = int(os.environ.get("ATTENDANCE_ALERT_AFTER", "4"))
# Tuition ledger (finance/): the student and consultant are told when an
# enrollment's class hours left fall to this; overdue instalments are
# reminded again after this many days.
FINANCE_LOW_HOURS = os.environ.get("FINANCE_LOW_HOURS", "6")
FINANCE_REMIND_EVERY_DAYS = int(os.environ.get("FINANCE_REMIND_EVERY_DAYS", "7"))

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
    # Both are commitments for the whole domain (preload: for months, in the
    # browsers' lists), so they are off unless the deployment asks for them.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https")
        if env_bool("BEHIND_TLS_PROXY", False)
        else None
    )
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page: scripts, styles, fonts
# and images only from this site, no inline code or style attributes (styles
# are classes in static/css/site.css). Private downloads set their own
# sandbox policy, which the middleware leaves as it is.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The nonce only where a page reads it (django-csp adds it then): the
        # timetable's calendar injects its stylesheet with it.
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Per-address throttles of the login and password-reset pages -----------
# On top of django-axes (which locks a user name from one address), failed
# logins and password-reset requests are counted per client address (the one
# axes uses: behind a reverse proxy, axes must be set up to read it) in the
# shared cache. Past the limit, that address gets a 429 page, and no password
# is checked, until the window ends (windows are aligned to the clock). A
# successful login does not reset the count.
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20"))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_PER_ADDRESS", "5"))
PASSWORD_RESET_WINDOW_MINUTES = 60

# Uploads (ID documents, homework): the most pixels an uploaded image may have.
# Checking an image decodes it once, at about 4 bytes a pixel (RGBA; 3 for
# RGB), so the default of 24 megapixels bounds that to about 96 MB per upload.
# Images whose header claims more are refused before decoding.
UPLOAD_MAX_IMAGE_PIXELS = int(os.environ.get("UPLOAD_MAX_IMAGE_PIXELS", "24000000"))

# Lead ownership (crm/pool.py): how many not-enrolled leads one sales may hold
# in their private pool (claims beyond are refused; 0 = no cap). A lead falls
# back to the public pool after CRM_STALE_LEAD_DAYS without activity: run
# `manage.py crm_pool_fallback` on a schedule (cron) until the task queue lands.
CRM_PRIVATE_POOL_CAP = int(os.environ.get("CRM_PRIVATE_POOL_CAP", "500"))
