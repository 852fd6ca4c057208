"""Pages every part of the site shares: the service worker, the offline page and the first-run page."""

from __future__ import annotations

import functools
import hashlib
import json

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.views.decorators.http import require_GET

# What the service worker keeps for offline use: the app shell (styles, scripts, icons, the offline page). The
# last-seen dashboard, history and log forms are kept as they are visited (templates/web/sw.js).
SHELL_ASSETS = (
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "favicon.svg",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "manifest.webmanifest",
)


PUSH_SCRIPT = "js/sw-push.js"  # the reminders' push handlers, loaded by the worker with importScripts


@functools.cache
def _worker(prefix: str) -> str:
    """The worker's source, with the shell's addresses and a version that changes whenever one of its files does
    (a new version makes browsers install the new worker and drop the old caches)."""
    digest = hashlib.sha256()
    for path in (*SHELL_ASSETS, PUSH_SCRIPT):
        found = finders.find(path)
        assert isinstance(found, str), f"static/{path} is missing"
        with open(found, "rb") as f:
            digest.update(f.read())
    pages = {name: reverse(name) for name in ("home", "history:list", "doses:log", "metrics:list", "metrics:log")}
    config = {
        "shell": [static(path) for path in SHELL_ASSETS] + [reverse("offline")],
        "pages": sorted(pages.values()),
        "offline": reverse("offline"),
        "static": static(""),
    }
    source = render_to_string("web/sw.js", {"config": json.dumps(config, indent=2), "push_script": static(PUSH_SCRIPT)})
    digest.update(source.encode())
    return source.replace("__VERSION__", digest.hexdigest()[:12])


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that its scope is the whole site."""
    response = HttpResponse(_worker(get_script_prefix()), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = get_script_prefix()
    response["Cache-Control"] = "no-cache"  # browsers look for a new worker at every visit
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page that was never opened on this device while online."""
    return render(request, "web/offline.html")


@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    """The first page after sign-up: start from a guide, or set up a protocol by hand."""
    return render(request, "web/welcome.html")
