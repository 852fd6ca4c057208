"""Shotlee settings: one file, every value from the environment.

docs/configuration.md lists each variable; tests/test_settings_documented.py
fails if one is read here but not documented there.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data")))

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG=0 (see docs/configuration.md)")
    SECRET_KEY = "insecure-dev-key-only-for-debug-" + "0" * 32

# Signs ledger checkpoints. It must never be stored in the database.
_ledger_key = env("LEDGER_KEY")
if not _ledger_key:
    if not DEBUG:
        raise ImproperlyConfigured("LEDGER_KEY is required when DEBUG=0 (see docs/configuration.md)")
    _ledger_key = hashlib.sha256(b"shotlee-ledger-key\x00" + SECRET_KEY.encode()).hexdigest()
# Anyone holding one signed checkpoint can try keys offline, so a short or repetitive key is refused in production:
# at least 32 characters, at least 12 of them different (a generated key has about 30 different ones).
LEDGER_KEY_MIN_LENGTH, LEDGER_KEY_MIN_DISTINCT = 32, 12
if not DEBUG and (len(_ledger_key) < LEDGER_KEY_MIN_LENGTH or len(set(_ledger_key)) < LEDGER_KEY_MIN_DISTINCT):
    raise ImproperlyConfigured(
        f"LEDGER_KEY is too weak: use at least {LEDGER_KEY_MIN_LENGTH} random characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` (see docs/configuration.md)"
    )
LEDGER_KEY = _ledger_key.encode()
LEDGER_KEY_ID = hashlib.sha256(LEDGER_KEY).hexdigest()[:16]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Sign-up: the first account can always be made; after that only with OPEN_SIGNUP or an invite (accounts.invites).
OPEN_SIGNUP = env_bool("OPEN_SIGNUP", DEBUG)
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)


def database_from_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them
        name = path[1:] if path.startswith("/") else path
        if not name:
            raise ImproperlyConfigured("DATABASE_URL sqlite:/// needs a file path")
        if not os.path.isabs(name):
            name = str(BASE_DIR / name)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # IMMEDIATE: every atomic block takes the write lock at BEGIN, so two
                # devices cannot both pass the safety rules (reliability-plan B5).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # FULL: an acknowledged dose survives a power loss (B10).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                    "PRAGMA recursive_triggers=ON; PRAGMA foreign_keys=ON;"
                ),
            },
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "TEST": {"NAME": str(Path(name).with_name("test_" + Path(name).name))},
        }
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "shotlee",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported (sqlite or postgres)")


try:
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
except OSError:
    pass  # a read-only DATA_DIR is fine when DATABASE_URL points elsewhere
DATABASES = {"default": database_from_url(env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'shotlee.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shotlee.accounts",
    "shotlee.ledger",
    "shotlee.guides",
    "shotlee.protocols",
    "shotlee.doses",
    "shotlee.symptoms",
    "shotlee.metrics",
    "shotlee.reminders",
    "shotlee.supplies",
    "shotlee.history",
    "shotlee.charts",
    "shotlee.reports",
    "shotlee.api",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shotlee.middleware.storable_input",
    "shotlee.accounts.middleware.session_lifetime",
    "shotlee.accounts.middleware.PasswordChecksBusy",
    "shotlee.middleware.LoginRequiredMiddleware",
    "shotlee.middleware.user_profile",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shotlee.middleware.security_headers",
    "shotlee.middleware.audit_not_found",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into its 429 answer
]

# Flash messages live in the session (already there for every page) instead of a cookie with a session fallback:
# one storage to build per request, and no message text in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "shotlee.urls"
WSGI_APPLICATION = "shotlee.wsgi.application"

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
                "shotlee.context_processors.links",
            ],
        },
    },
]

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
# Django's model backend, bringing the profile (time zone, units) in the same query, and database sessions. Not
# cached_db: with the default per-process cache, a session ended in one worker (log-out, password change) would
# live on in the others' caches.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out client is refused before any password is hashed
    "shotlee.accounts.backends.ProfileBackend",
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Sessions and cookies. Secure cookies need HTTPS, which a DEBUG laptop does not have.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Not preloaded, and security.W021 silenced for that reason: the preload list is a commitment for the whole domain
# and every subdomain, hard to undo, which only the person who runs the domain can make (docs/deploy.md says how).
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Doses in the future are refused beyond this allowance for clock skew.
FUTURE_ALLOWANCE_SECONDS = 5 * 60
# possible_duplicate: same compound and amount within this many minutes.
DUPLICATE_WINDOW_MINUTES = env_int("DUPLICATE_WINDOW_MINUTES", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Email (password resets). EMAIL_URL is one line: smtp://user:password@host:587 (STARTTLS with smtp+tls://,
# TLS from the start with smtp+ssl://), or console:// to print messages. Without it, the usual EMAIL_* variables;
# with neither, DEBUG prints messages to the console and production sends through an SMTP server on localhost.
EMAIL_URL = env("EMAIL_URL")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Shotlee <noreply@localhost>")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_URL:
    _email = urlsplit(EMAIL_URL)
    if _email.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _email.scheme in ("smtp", "smtp+tls", "smtp+ssl"):
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _email.hostname or "localhost"
        EMAIL_PORT = _email.port or {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}[_email.scheme]
        EMAIL_HOST_USER = unquote(_email.username or "")
        EMAIL_HOST_PASSWORD = unquote(_email.password or "")
        EMAIL_USE_TLS = _email.scheme == "smtp+tls"
        EMAIL_USE_SSL = _email.scheme == "smtp+ssl"
    else:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {_email.scheme!r} is not supported (smtp, smtp+tls, smtp+ssl, console)"
        )
elif env("EMAIL_HOST") or not DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# ---- Accounts and access (docs/configuration.md, "Log-in and sessions"; docs/security.md)

# Log-in throttling with django-axes: every way in (the log-in page, POST /api/v1/auth/token, the admin through the
# log-in page, a wrong two-step code) counts failures per account and per client address. Past either limit the
# client gets 429 with the same message, known username or not, until LOGIN_COOLOFF_MINUTES pass without a failure.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 10)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
# How many reverse proxies in front of the app append to X-Forwarded-For; 0: the connection's own address.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_HANDLER = "shotlee.accounts.throttle.LoginAttempts"
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "shotlee.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "shotlee.accounts.throttle.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins are security events (shotlee.security), not rows with addresses
AXES_VERBOSE = False  # axes' own log lines name no username or address
AXES_ENABLE_ADMIN = False  # the attempts hold typed usernames; `manage.py axes_reset` clears them
# Argon2 takes about 0.1-0.3 s of one core per check: at most this many run at once in a process, and a log-in
# that waits longer than PASSWORD_CHECK_WAIT_MS for its turn gets 503 with Retry-After, so a flood of log-ins
# cannot starve the other requests of the CPU (accounts.throttle.password_slot).
PASSWORD_CHECKS_PER_PROCESS = env_int("PASSWORD_CHECKS_PER_PROCESS", 1)
PASSWORD_CHECK_WAIT_MS = env_int("PASSWORD_CHECK_WAIT_MS", 500)

# Writes through the API, per user: at most this many per minute and process (the cache is each process's own
# memory), then 429 with Retry-After. 0 switches the limit off.
API_WRITES_PER_MINUTE = env_int("API_WRITES_PER_MINUTE", 60)
# Sign-up attempts (page and API) per client address and hour, counted the same way. 0 switches it off.
SIGNUPS_PER_HOUR = env_int("SIGNUPS_PER_HOUR", 20)

# Sessions: a new key at every log-in (Django), ended by log-out, after SESSION_IDLE_MINUTES without a request,
# and SESSION_COOKIE_AGE seconds after the log-in whatever the activity (accounts.middleware.session_lifetime).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 12 * 60)

# Two-step verification (TOTP, RFC 6238): the issuer name authenticator apps show next to the account.
TOTP_ISSUER = env("TOTP_ISSUER", "Shotlee")
# An invite link (manage.py invite, or the admin) works once, for this many days.
INVITE_DAYS = env_int("INVITE_DAYS", 7)

# ---- Reminders (docs/configuration.md, "Reminders"; docs/deploy.md, "Reminders")

# The address people use to reach the server (https://shotlee.example.org): links in the calendar feed's settings
# and in reminder emails. Without it, the address a request came to (fine on a laptop, wrong behind a proxy).
SITE_URL = env("SITE_URL").rstrip("/")
if SITE_URL and urlsplit(SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(f"SITE_URL must start with https:// (or http://), got {SITE_URL!r}")
# Web Push (RFC 8030/8291/8292): on when all three are set; `manage.py vapid_keys` makes a key pair.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env("VAPID_SUBJECT")
# The push services a subscription may point at (origins, `*` for any part): the server POSTs to the endpoint a
# browser hands it, so only these, never an address of the server's own network.
PUSH_SERVICES = env_list(
    "PUSH_SERVICES",
    "https://fcm.googleapis.com,https://updates.push.services.mozilla.com,https://*.notify.windows.com,"
    "https://*.push.apple.com",
)
