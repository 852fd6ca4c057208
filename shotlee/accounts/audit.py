"""Log-in and log-out as security events (lib.audit), from Django's own signals: every way in (the log-in page,
`POST /api/v1/auth/token`, the admin) goes through `authenticate()` and `login()`, so no view needs to remember."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from shotlee.lib import audit


def _via(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None else ""


@receiver(user_login_failed, dispatch_uid="shotlee.audit.login_failed")
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Never the username as typed: people type passwords into it. Its pseudonym links repeated attempts.
    username = str(credentials.get("username", ""))
    audit.event("login.failed", who=audit.pseudonym(username), via=_via(request))


@receiver(user_logged_in, dispatch_uid="shotlee.audit.logged_in")
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.event("login.succeeded", level=logging.INFO, actor=user.pk, via=_via(request))


@receiver(user_logged_out, dispatch_uid="shotlee.audit.logged_out")
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.event("logout", level=logging.INFO, actor=getattr(user, "pk", None))
