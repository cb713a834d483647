"""Django settings, read from the environment.

DATABASE_URL   default: SQLite file in the data folder
SECRET_KEY     default: generated once and kept in the data folder
ENCAISSE_DATA_DIR  default: ./var (relative to the working directory)
DEBUG          off unless set to 1/true
ENCAISSE_EMAIL_BACKEND  default: files in the data folder's outbox/ (see EMAIL_* below)
DEFAULT_FROM_EMAIL      sender of the mails encaisse sends
ENCAISSE_MEDIA_DIR      files the jobs write (large exports); default <data dir>/media
ENCAISSE_FILE_STORAGE   dotted path of another Storage for them (with its keyword
                        arguments as JSON in ENCAISSE_FILE_STORAGE_OPTIONS)

Behind a reverse proxy that terminates TLS (docs/architecture.md, « Running in
production »): SECURE_PROXY_SSL_HEADER (e.g. HTTP_X_FORWARDED_PROTO=https),
SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE (1/true),
SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD,
CSRF_TRUSTED_ORIGINS (comma-separated, e.g. https://encaisse.example.fr). All off by
default: `make run` serves plain HTTP on the local network.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("ENCAISSE_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _truthy(os.environ.get("DEBUG"))
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
if "testserver" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",  # the jobs' queue: a table in the application's own database
    "ninja",  # its static files: the API docs page (Swagger UI) served here, not by a CDN
    "encaisse.audit",
    "encaisse.companies",
    "encaisse.customers",
    "encaisse.catalog",
    "encaisse.sales",
    "encaisse.documents",
    "encaisse.receivables",
    "encaisse.reporting",
    "encaisse.collection",
    "encaisse.dunning",
    "encaisse.ledger",
    "encaisse.mailing",
    "encaisse.einvoicing",
    "encaisse.banking",
    "encaisse.jobs",
    "encaisse.api",
    "encaisse.web",
    "encaisse.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "encaisse.api.middleware.ApiErrorsMiddleware",  # JSON 404/405/500 under /api/
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "encaisse.web.middleware.CurrentCompanyMiddleware",
]

ROOT_URLCONF = "encaisse.urls"
WSGI_APPLICATION = "encaisse.wsgi.application"

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
                "encaisse.web.context_processors.current_company",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'encaisse.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two requests issuing at
    # once queue up instead of failing with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (encaisse.jobs): queued in the application's database, run by
# `encaisse worker` processes, on SQLite as on PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A bank statement file of more lines than this is imported by a job, with its progress.
ENCAISSE_BANK_IMPORT_INLINE_LINES = int(os.environ.get("ENCAISSE_BANK_IMPORT_INLINE_LINES", 2000))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders; an existing (empty) root spares its warning at startup.
STATIC_ROOT.mkdir(exist_ok=True)
# Static files are served by WhiteNoise straight from the apps' folders: no collectstatic
# step for `make run`, and the same with DEBUG off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken

# Files written by the background jobs and downloaded from the pages (large exports):
# the worker that writes one and the application server that serves it may be different
# machines, so in production this is a shared folder or an object store.
MEDIA_ROOT = Path(os.environ.get("ENCAISSE_MEDIA_DIR") or DATA_DIR / "media")
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "ENCAISSE_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("ENCAISSE_FILE_STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# HTTPS behind a reverse proxy (nginx...) that terminates TLS: the proxy says the
# request came in over HTTPS with a header (SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO=https,
# which the proxy must always set, overwriting what the client sent).
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _header, _, _value = os.environ["SECURE_PROXY_SSL_HEADER"].partition("=")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
SECURE_SSL_REDIRECT = _truthy(os.environ.get("SECURE_SSL_REDIRECT"))
SESSION_COOKIE_SECURE = _truthy(os.environ.get("SESSION_COOKIE_SECURE"))
CSRF_COOKIE_SECURE = _truthy(os.environ.get("CSRF_COOKIE_SECURE"))
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _truthy(os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS"))
SECURE_HSTS_PRELOAD = _truthy(os.environ.get("SECURE_HSTS_PRELOAD"))
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Outgoing mail goes through the outbox (encaisse.mailing) and is sent by
# `encaisse send-mail` through this backend. Default: each mail written as a file into
# the data folder's outbox/, so the demo and a fresh install send nothing by accident.
EMAIL_BACKEND = os.environ.get(
    "ENCAISSE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _truthy(os.environ.get("EMAIL_USE_TLS"))
EMAIL_TIMEOUT = 30  # a hung server must not block the send-mail run forever
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "encaisse <factures@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
