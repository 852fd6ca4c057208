from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

# The links of every page's header, reversed once per process (and per script prefix, for a server mounted
# under a sub-path) instead of about a dozen {% url %} and {% static %} lookups on every page view.
NAV = (
    "home",
    "doses:log",
    "history:list",
    "protocols:list",
    "symptoms:list",
    "metrics:list",
    "metrics:log",
    "charts:timeline",
    "supplies:list",
    "reminders:settings",
    "guides:index",
    "accounts:settings",
    "accounts:logout",
    "accounts:login",
    "accounts:signup",
    "service_worker",
)
ASSETS = {
    "favicon": "favicon.svg",
    "css": "css/app.css",
    "js": "js/app.js",
    "offline_js": "js/offline.js",
    "manifest": "manifest.webmanifest",
    "icon_192": "icons/icon-192.png",
}


@functools.cache
def _links(prefix: str) -> dict[str, str]:
    links = {name.replace(":", "_"): reverse(name) for name in NAV}
    links.update({key: static(path) for key, path in ASSETS.items()})
    return links


def links(request: HttpRequest) -> dict[str, Any]:
    return {"links": _links(get_script_prefix())}
