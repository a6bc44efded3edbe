"""Django settings for Bastion.

Two shapes: the embedded default (SQLite in WAL mode, a file-backed task queue, a secret key generated
once into the data directory) that needs no server, and production (``BASTION_ENV=production``) that
refuses to start unless PostgreSQL, Redis and a secret key are configured.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from bastion.platform.home import data_directory, embedded_secret_key
from bastion.platform.logging import build_logging_config

PACKAGE_DIR = Path(__file__).resolve().parent
ENVIRONMENT = os.environ.get("BASTION_ENV", "embedded").strip().lower()
PRODUCTION = ENVIRONMENT == "production"
TESTING = os.environ.get("BASTION_TESTING") == "1" or "pytest" in sys.modules
BASTION_HOME = data_directory()


def _require_production_settings() -> tuple[str, str, str]:
    """Fail fast, naming every missing setting, so a half-configured node never serves traffic."""
    missing = []
    secret_key = os.environ.get("BASTION_SECRET_KEY", "")
    database_url = os.environ.get("BASTION_DATABASE_URL", "")
    redis_url = os.environ.get("BASTION_REDIS_URL", "")
    if len(secret_key) < 32:
        missing.append("BASTION_SECRET_KEY (at least 32 characters)")
    if not database_url.startswith(("postgres://", "postgresql://")):
        missing.append("BASTION_DATABASE_URL (a postgres:// URL)")
    if not redis_url.startswith(("redis://", "rediss://")):
        missing.append("BASTION_REDIS_URL (a redis:// URL)")
    if not os.environ.get("BASTION_FIELD_KEYS"):
        missing.append("BASTION_FIELD_KEYS (personal-data encryption keys)")
    if not os.environ.get("BASTION_ALLOWED_HOSTS"):
        missing.append("BASTION_ALLOWED_HOSTS (comma-separated host names)")
    if missing:
        raise ImproperlyConfigured(
            "Bastion refuses to start in production; missing or invalid: " + "; ".join(missing)
        )
    return secret_key, database_url, redis_url


if PRODUCTION:
    SECRET_KEY, _DATABASE_URL, REDIS_URL = _require_production_settings()
    DEBUG = False
    ALLOWED_HOSTS = [h.strip() for h in os.environ["BASTION_ALLOWED_HOSTS"].split(",") if h.strip()]
else:
    SECRET_KEY = os.environ.get("BASTION_SECRET_KEY") or embedded_secret_key(BASTION_HOME)
    _DATABASE_URL = os.environ.get("BASTION_DATABASE_URL", "")
    REDIS_URL = os.environ.get("BASTION_REDIS_URL", "")
    DEBUG = os.environ.get("BASTION_DEBUG") == "1"
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files (no CDN) at /api/v1/docs
    "huey.contrib.djhuey",
    "bastion.platform",
    "bastion.audit",
    "bastion.identity",
    "bastion.notify",
    "bastion.knowledge",
    "bastion.devices",
    "bastion.servicedesk",
    "bastion.risk",
    "bastion.aml",
    "bastion.web",
    "bastion.demo",
]

MIDDLEWARE = [
    "bastion.platform.middleware.RequestContextMiddleware",
    "bastion.platform.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bastion.identity.middleware.MfaEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "bastion.urls"
WSGI_APPLICATION = "bastion.wsgi.application"
ASGI_APPLICATION = "bastion.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bastion.web.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
if _DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(_DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if TESTING:
        # One test database per test run, so concurrent runs on one server never drop each other's.
        DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
        # Persistent connections held by live-server threads would block dropping the test database.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASTION_HOME / "bastion.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers never
                # deadlock on lock upgrade and the audit chain head is read under the lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # WAL lets readers proceed during writes; synchronous=FULL makes every acknowledged
                # commit survive power loss, which NORMAL does not guarantee in WAL mode.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    " PRAGMA busy_timeout=20000;"
                ),
            },
            # Opening a connection costs ~1.5 ms (the PRAGMAs above touch the file), more than the
            # rest of an API request; each server thread keeps its own for ten minutes instead.
            "CONN_MAX_AGE": 0 if TESTING else 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockout counters) ---------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASTION_HOME / "cache"),
        }
    }

# --- Task queue -----------------------------------------------------------------------------------
if REDIS_URL:
    import redis

    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "bastion",
        "immediate": False,
        # Fail fast (and let /readyz say so) instead of hanging on an unreachable Redis.
        "connection": {
            "connection_pool": redis.ConnectionPool.from_url(
                REDIS_URL, socket_connect_timeout=5, health_check_interval=30
            )
        },
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "bastion",
        "filename": str(BASTION_HOME / "tasks.sqlite3"),
        "immediate": TESTING,
    }

# --- Identity and sessions -------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["bastion.identity.backends.RolePermissionBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = int(os.environ.get("BASTION_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "bastion_session"
CSRF_COOKIE_NAME = "bastion_csrftoken"
# Absolute cap on a session's life, whatever the activity (checked by the MFA middleware).
BASTION_SESSION_MAX_AGE_SECONDS = int(os.environ.get("BASTION_SESSION_MAX_AGE_SECONDS", str(12 * 3600)))
BASTION_LOCKOUT_THRESHOLD = int(os.environ.get("BASTION_LOCKOUT_THRESHOLD", "5"))
BASTION_LOCKOUT_MINUTES = int(os.environ.get("BASTION_LOCKOUT_MINUTES", "15"))
BASTION_APPROVAL_TTL_HOURS = int(os.environ.get("BASTION_APPROVAL_TTL_HOURS", "72"))
BASTION_RATE_LIMIT_LOGIN = os.environ.get("BASTION_RATE_LIMIT_LOGIN", "10/m")
BASTION_RATE_LIMIT_TOKEN = os.environ.get("BASTION_RATE_LIMIT_TOKEN", "120/m")
# Failed bearer-token attempts per client address before every bearer attempt from it is refused.
BASTION_RATE_LIMIT_TOKEN_FAILURES = os.environ.get("BASTION_RATE_LIMIT_TOKEN_FAILURES", "20/m")
BASTION_UPLOAD_MAX_BYTES = int(os.environ.get("BASTION_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
BASTION_FIELD_KEYS = os.environ.get("BASTION_FIELD_KEYS", "")
# Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses).
BASTION_TRUSTED_PROXIES = frozenset(
    p.strip() for p in os.environ.get("BASTION_TRUSTED_PROXIES", "").split(",") if p.strip()
)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "bastion.platform.middleware.client_ip"  # the proxy-aware address
RATELIMIT_VIEW = "bastion.platform.errors.rate_limited"

# --- Security headers ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if PRODUCTION:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = os.environ.get("BASTION_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("BASTION_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Internationalisation --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "bastion_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASTION_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
MEDIA_ROOT = BASTION_HOME / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Logging ---------------------------------------------------------------------------------------
LOGGING = build_logging_config(level=os.environ.get("BASTION_LOG_LEVEL", "INFO"))

# --- Service desk intake: e-mail and WeChat (servicedesk/intake; see docs/guide/en/servicedesk-intake.md)
INSTALLED_APPS += ["bastion.servicedesk.intake"]
# IMAP mailbox (empty host = no IMAP intake). The password comes only from the environment.
BASTION_INTAKE_IMAP_HOST = os.environ.get("BASTION_INTAKE_IMAP_HOST", "")
BASTION_INTAKE_IMAP_PORT = int(os.environ.get("BASTION_INTAKE_IMAP_PORT", "0"))  # 0: 993 (ssl) / 143
BASTION_INTAKE_IMAP_SECURITY = os.environ.get("BASTION_INTAKE_IMAP_SECURITY", "ssl")  # ssl|starttls|none
BASTION_INTAKE_IMAP_USER = os.environ.get("BASTION_INTAKE_IMAP_USER", "")
BASTION_INTAKE_IMAP_PASSWORD = os.environ.get("BASTION_INTAKE_IMAP_PASSWORD", "")
BASTION_INTAKE_IMAP_FOLDER = os.environ.get("BASTION_INTAKE_IMAP_FOLDER", "INBOX")
BASTION_INTAKE_IMAP_DONE_FOLDER = os.environ.get("BASTION_INTAKE_IMAP_DONE_FOLDER", "")  # move here
BASTION_INTAKE_IMAP_CA_FILE = os.environ.get("BASTION_INTAKE_IMAP_CA_FILE", "")
BASTION_INTAKE_MAILDIR = os.environ.get("BASTION_INTAKE_MAILDIR", "")
BASTION_INTAKE_MAIL_POLL_MINUTES = int(os.environ.get("BASTION_INTAKE_MAIL_POLL_MINUTES", "0"))  # 0: off
# Recipient address -> branch code ("desk-sh@bank.cn=sh-pudong,desk-bj@bank.cn=bj-haidian"), then the
# sender's own branch, then this default branch code.
BASTION_INTAKE_MAIL_BRANCHES = os.environ.get("BASTION_INTAKE_MAIL_BRANCHES", "")
BASTION_INTAKE_MAIL_DEFAULT_BRANCH = os.environ.get("BASTION_INTAKE_MAIL_DEFAULT_BRANCH", "")
BASTION_INTAKE_MAIL_FROM = os.environ.get("BASTION_INTAKE_MAIL_FROM", "servicedesk@bastion.invalid")
BASTION_WECHAT_ENABLED = os.environ.get("BASTION_WECHAT_ENABLED", "0") == "1"
BASTION_WECHAT_TOKEN = os.environ.get("BASTION_WECHAT_TOKEN", "")
BASTION_WECHAT_DEFAULT_BRANCH = os.environ.get("BASTION_WECHAT_DEFAULT_BRANCH", "")
BASTION_WECHAT_MAX_SKEW_SECONDS = int(os.environ.get("BASTION_WECHAT_MAX_SKEW_SECONDS", "300"))
BASTION_RATE_LIMIT_WECHAT = os.environ.get("BASTION_RATE_LIMIT_WECHAT", "600/m")
if PRODUCTION and BASTION_WECHAT_ENABLED and len(BASTION_WECHAT_TOKEN) < 3:
    raise ImproperlyConfigured(
        "Bastion refuses to start: BASTION_WECHAT_ENABLED=1 needs BASTION_WECHAT_TOKEN"
    )
# --- end of service desk intake -------------------------------------------------------------------
