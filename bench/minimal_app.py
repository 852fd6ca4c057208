"""The baseline for `bench/run.py`: the smallest Django app that answers JSON.

One view returning JsonResponse({"ok": True}), no middleware, no database, no
templates. Served by the same gunicorn setup as Shotlee, it shows what a
request costs before any of Shotlee's own work:

    gunicorn minimal_app:application --chdir bench --no-control-socket -b 127.0.0.1:PORT
"""

from __future__ import annotations

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-minimal-app-not-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("", ok)]

application = get_wsgi_application()
