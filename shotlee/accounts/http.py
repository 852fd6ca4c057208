"""The request of a signed-in person, as the views see it (for type checkers: Django's HttpRequest knows neither)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from shotlee.accounts.models import Profile


class SignedIn(HttpRequest):
    """A page request past LoginRequiredMiddleware: `user` is signed in and `profile` set (shotlee.middleware)."""

    user: User
    profile: Profile


class ApiCall(HttpRequest):
    """An API request past BearerAuth: `auth` is the token's owner and `profile` theirs."""

    auth: User
    profile: Profile
