from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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


def user_timezone(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Show every time in the person's own zone; the record itself stays in UTC."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return get_response(request)  # the API has no session; its views read the token owner's zone
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from shotlee.accounts.models import Profile

            # The session's user comes with the profile (accounts.backends); a user logged in another way may not.
            profile = user._state.fields_cache.get("profile") or Profile.objects.filter(user=user).first()
            if profile is not None:
                request.profile = profile  # views reuse it instead of querying again
                timezone.activate(profile.tz)
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware
