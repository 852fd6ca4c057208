"""Session lifetime and the answer when every password-check slot is busy.

A session ends at log-out, SESSION_IDLE_MINUTES after its last request, and SESSION_COOKIE_AGE seconds after the
log-in however active it is (ASVS 7.3.1, 7.3.2; the HIPAA-style automatic log-off). The last request is written to
the session at most once a minute, so an active page does not cost a database write per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from shotlee.accounts import events
from shotlee.accounts.throttle import PasswordChecksBusy as Busy
from shotlee.accounts.throttle import busy_response

LOGGED_IN_AT = "_auth_at"
LAST_SEEN = "_seen_at"
ENDED = "_session_ended"  # why the last session ended, shown once on the log-in page
TOUCH_EVERY = 60  # seconds


@receiver(user_logged_in, dispatch_uid="shotlee.accounts.session_started")
def session_started(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = int(time.time())
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_SEEN] = now


def session_lifetime(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            session = request.session
            now = int(time.time())
            seen = session.get(LAST_SEEN, now)
            started = session.get(LOGGED_IN_AT, now)
            idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                actor = user.pk
                logout(request)
                events.event("session.expired", actor=actor, reason="idle" if idle else "lifetime")
                request.session[ENDED] = (
                    "You were logged out after a while without activity. Log in again."
                    if idle
                    else "Your session reached its time limit. Log in again."
                )
            elif now - seen >= TOUCH_EVERY or LAST_SEEN not in session:
                session[LAST_SEEN] = now
                session.setdefault(LOGGED_IN_AT, now)
        return get_response(request)

    return middleware


class PasswordChecksBusy:
    """503 with Retry-After when a log-in waited too long for a password-check slot (accounts.throttle)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Busy):
            events.event("login.busy", via=request.path)
            return busy_response(request)
        return None
