"""The HTTP references of the bench: the smallest Django apps that answer JSON.

`GET /` returns JsonResponse({"ok": True}): no middleware, no database, no
templates. With `MINIMAL_DB` set, `POST /insert` also saves one row through
the ORM on a persistent connection (CONN_MAX_AGE), autocommit: the issue's
"plain Django insert" reference. `MINIMAL_DB` is a SQLite file (opened in WAL
mode with synchronous=FULL, as Shotlee opens its own) or a postgres:// URL (the
bench's PostgreSQL database; the table is `minimal_note`). Served by the same
gunicorn setup as Shotlee, they show what a request and a durable insert cost
before any of Shotlee's own work:

    gunicorn bench.minimal_app:application --no-control-socket -b 127.0.0.1:PORT   (from the repository root)
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from django.conf import settings

DB = os.environ.get("MINIMAL_DB", "")


def database(url: str) -> dict:
    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": unquote(parts.path.lstrip("/")),
                "USER": unquote(parts.username or ""),
                "PASSWORD": unquote(parts.password or ""),
                "HOST": parts.hostname or "",
                "PORT": str(parts.port or ""),
                "CONN_MAX_AGE": 600,
                "CONN_HEALTH_CHECKS": True,
            }
        }
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": url,
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
        }
    }


if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-minimal-app-not-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES=database(DB),
        USE_TZ=True,
    )

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import DatabaseError, connection, models  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


class Note(models.Model):
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        app_label = "minimal"

    def __str__(self) -> str:
        return self.text


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    note = Note.objects.create(text=request.body.decode()[:200], created_at=timezone.now())
    return JsonResponse({"id": note.pk}, status=201)


urlpatterns = [path("", ok), path("insert", insert)]

if DB and Note._meta.db_table not in connection.introspection.table_names():
    try:
        with connection.schema_editor() as editor:
            editor.create_model(Note)
    except DatabaseError:
        pass  # another worker created it first

application = get_wsgi_application()
