"""The server's public address (`SITE_URL`), for links that leave the page: the calendar feed, reminder emails."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def public_url(path: str, request: HttpRequest | None = None) -> str:
    """`path` on the configured public address; without one, on the address this request came to (a laptop).

    Behind a reverse proxy the request's own address can be the loopback (127.0.0.1:8000), which a phone's
    calendar app cannot reach: `SITE_URL` is the address people use.
    """
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return "http://localhost" + path


def webcal(url: str) -> str:
    """The same feed for a calendar app to subscribe to (the webcal scheme: RFC-less but universal)."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme) :]
    return url
