"""Who may sign up: the first person on a fresh install, anyone while OPEN_SIGNUP is on, else whoever holds an
invite link (made with `manage.py invite` or in the admin). An invite works once, expires, and only its SHA-256
is stored, so the link is shown once, when it is made."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from shotlee.accounts import events
from shotlee.accounts.models import Invite, token_digest

NOTE_MAX = 100


def first_account() -> bool:
    """A fresh install: nobody has an account yet, so the first person may make one."""
    return not get_user_model().objects.exists()


def make_invite(created_by: User | None = None, days: int | None = None, note: str = "") -> str:
    """A new invite; returns the raw secret for the link (shown once)."""
    raw = secrets.token_urlsafe(24)
    lifetime = timedelta(days=days if days is not None else settings.INVITE_DAYS)
    invite = Invite.objects.create(
        digest=token_digest(raw),
        note=note.strip()[:NOTE_MAX],
        created_by=created_by,
        expires_at=timezone.now() + lifetime,
    )
    events.event("invite.created", actor=getattr(created_by, "pk", None), invite=invite.pk)
    return raw


def invite_path(raw: str) -> str:
    return reverse("accounts:signup") + "?invite=" + raw


def usable(raw: str) -> Invite | None:
    """The invite for this secret if it is unused and not expired."""
    if not raw or len(raw) > 100:
        return None
    return Invite.objects.filter(digest=token_digest(raw), used_at__isnull=True, expires_at__gt=timezone.now()).first()


def redeem(invite: Invite, user: User) -> bool:
    """Mark the invite used by `user`, inside the sign-up's transaction; False if someone used it first."""
    taken = Invite.objects.filter(pk=invite.pk, used_at__isnull=True).update(used_at=timezone.now(), used_by=user)
    if taken:
        events.event("invite.used", actor=user.pk, invite=invite.pk)
    return taken == 1


USED = "This invite link has been used, has expired, or was never made. Ask for a new one."
CLOSED = "Sign-up is closed on this server. Ask its administrator for an invite link."


class SignupClosed(Exception):
    pass


def admission(raw_invite: str) -> Invite | None:
    """May someone sign up now? The invite to use up (None when none is needed), or SignupClosed with the reason."""
    invite = usable(raw_invite) if raw_invite else None
    if invite is not None or settings.OPEN_SIGNUP or first_account():
        return invite
    raise SignupClosed(USED if raw_invite else CLOSED)
