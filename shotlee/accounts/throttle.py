"""Limits on the ways in and on writes: log-in lockout (django-axes), password checks per process, API write rate.

- Lockout: axes records each failed log-in (the page, `POST /api/v1/auth/token`, a wrong two-step code) by the
  username typed and by the client's address. `LoginAttempts` gives the address its own, higher limit; past
  either limit every attempt gets the same 429 (`locked_out`), whether the username exists or not.
- Password checks: Argon2 is meant to be slow. `password_slot` lets `PASSWORD_CHECKS_PER_PROCESS` run at once;
  a check that cannot start within `PASSWORD_CHECK_WAIT_MS` raises `PasswordChecksBusy` (503, Retry-After).
- API writes: `check_write_rate` counts a user's writes per minute in the default cache (django-ratelimit's
  fixed windows) and raises `RateExceeded` (429, Retry-After) past `API_WRITES_PER_MINUTE`; sign-up attempts
  are counted the same way per address (`SIGNUPS_PER_HOUR`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from shotlee.accounts import events


class PasswordChecksBusy(Exception):
    """Every password-check slot of this process stayed taken for the whole wait."""


class RateExceeded(Exception):
    """Past a rate limit: retry after this many seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


# ---- client address


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's, or with PROXY_COUNT proxies in front, the one the outermost
    trusted proxy saw (X-Forwarded-For counted from the right, so a client cannot choose its own)."""
    hops = settings.PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return str(forwarded[-hops])[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


# ---- lockout


class LoginAttempts(AxesDatabaseHandler):  # type: ignore[misc]  # axes ships no type hints
    """Axes' database handler with two limits: LOGIN_FAILURES_PER_ACCOUNT for a username, LOGIN_FAILURES_PER_IP
    for an address. Axes compares one number with AXES_FAILURE_LIMIT (the per-account limit), so an address's
    failures are scaled to that limit before taking the larger."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        per_account, per_ip = settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_IP
        return max(by_username, by_address * per_account // max(per_ip, 1))


def cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


LOCKED_MESSAGE = "Too many failed log-ins. Wait {minutes} minutes, then try again."


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """Axes' answer once a limit is reached: one message for every username, known or not."""
    seconds = cooloff_seconds()
    message = LOCKED_MESSAGE.format(minutes=math.ceil(seconds / 60))
    events.event("login.locked_out", via=request.path)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# ---- password checks


_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    global _slots, _slots_size
    size = max(1, settings.PASSWORD_CHECKS_PER_PROCESS)
    with _slots_lock:
        if _slots is None or _slots_size != size:  # a changed setting (tests) takes effect at once
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


@contextmanager
def password_slot() -> Iterator[None]:
    """Hold one of this process's password-check slots, or raise PasswordChecksBusy after the wait."""
    slots = _semaphore()
    if not slots.acquire(timeout=settings.PASSWORD_CHECK_WAIT_MS / 1000):
        raise PasswordChecksBusy
    try:
        yield
    finally:
        slots.release()


def check_password(user: Any, raw: str) -> bool:
    """A password typed again to confirm an action, checked in one of the slots like a log-in."""
    if not raw:
        return False
    with password_slot():
        return bool(user.check_password(raw))


BUSY_MESSAGE = "The server is busy checking other log-ins. Try again in a moment."


def busy_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY_MESSAGE}, status=503)
    else:
        response = render(request, "accounts/busy.html", {"message": BUSY_MESSAGE}, status=503)
    response["Retry-After"] = "1"
    return response


# ---- API write rate


def _user_key(group: str, request: HttpRequest) -> str:
    return str(request.user.pk)


def check_write_rate(request: HttpRequest) -> None:
    """Count one API write for the request's user; raise RateExceeded past API_WRITES_PER_MINUTE."""
    limit = settings.API_WRITES_PER_MINUTE
    if limit <= 0 or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    usage = get_usage(request, group="api-writes", key=_user_key, rate=f"{limit}/m", increment=True)
    if usage is not None and usage["should_limit"]:
        events.event("api.write_rate_exceeded", actor=request.user.pk)
        raise RateExceeded(max(1, int(usage["time_left"])))


def _ip_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def check_signup_rate(request: HttpRequest) -> None:
    """Count one sign-up attempt from the client's address; raise RateExceeded past SIGNUPS_PER_HOUR. Bounds how
    fast anyone can learn which usernames exist from the sign-up page, which must say when a name is taken."""
    limit = settings.SIGNUPS_PER_HOUR
    if limit <= 0:
        return
    usage = get_usage(request, group="signups", key=_ip_key, rate=f"{limit}/h", increment=True)
    if usage is not None and usage["should_limit"]:
        events.event("signup.rate_exceeded", via=request.path)
        raise RateExceeded(max(1, int(usage["time_left"])))
