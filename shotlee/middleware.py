from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shotlee.accounts.models import Profile
from shotlee.lib import audit
from shotlee.lib.inputs import storable_text

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Pages are private by default; the API authenticates with its own bearer tokens."""

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith("/static/"):
            # Health data must not sit in shared caches or the back-forward cache of a shared device.
            response.setdefault("Cache-Control", "no-store")
        return response

    return middleware


def profile_of(user: User) -> Profile:
    """The user's profile: loaded with the user by the auth backend and the token lookup, else read (or made)."""
    cached = user._state.fields_cache.get("profile")
    return cached if cached is not None else Profile.objects.get_or_create(user=user)[0]


def user_profile(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """`request.profile` on every signed-in page, and every time shown in the person's own zone.

    (The API sets `request.profile` when it authenticates the bearer token.) The record itself stays in UTC.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or user is None or not user.is_authenticated:
            return get_response(request)
        profile = request.profile = profile_of(user)  # type: ignore[attr-defined]
        timezone.activate(profile.tz)
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


def storable_input(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Pages: refuse a query or form value the database cannot store (a NUL character) before any view reads it.

    One check for every page, including the values views read directly (a search, a chosen type); the API
    checks the same in its schemas and answers 422 naming the field (lib.inputs).
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            posted = request.POST if request.method == "POST" else None
            for params in (request.GET, posted):
                for name, values in params.lists() if params is not None else []:
                    try:
                        for value in (name, *values):
                            storable_text(value)
                    except ValueError:
                        return render(request, "bad_request.html", status=400)
        return get_response(request)

    return middleware


def audit_not_found(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A signed-in person asking for an object that is not theirs (or not there: the two look the same by design,
    ASVS 8.2.2) is a security event (lib.audit): the route and the ids asked for, never the rest of the path."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        match = request.resolver_match
        user = getattr(request, "user", None)
        if response.status_code == 404 and match is not None and match.kwargs and user and user.is_authenticated:
            ids = []
            for value in match.kwargs.values():
                try:
                    ids.append(str(uuid.UUID(str(value))))
                except ValueError:
                    continue
            audit.event("object.not_found", actor=user.pk, method=request.method, route=str(match.route), ids=ids)
        return response

    return middleware
