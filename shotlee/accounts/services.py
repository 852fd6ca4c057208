from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shotlee.accounts.models import ApiToken, CalendarToken, Profile, token_digest, valid_timezone
from shotlee.ledger import sql
from shotlee.ledger.services import create_head

USERNAME_MAX = 150


class RegistrationError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def register_user(username: str, password: str, timezone: str = "UTC") -> Any:
    """Create the user, their profile and their empty chain in one transaction."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = ["Choose a username."]
    elif len(username) > USERNAME_MAX:
        errors["username"] = [f"Usernames are at most {USERNAME_MAX} characters."]
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
    if not errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["That username is taken."]
    try:
        password_validation.validate_password(password or "", User(username=username))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if timezone and not valid_timezone(timezone):
        errors["timezone"] = [f"Unknown time zone {timezone!r}."]
    if errors:
        raise RegistrationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
            Profile.objects.create(user=user, timezone=timezone or "UTC")
            create_head(user)
    except IntegrityError:
        raise RegistrationError({"username": ["That username is taken."]}) from None
    return user


def issue_token(user: Any) -> str:
    raw = "sht_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=token_digest(raw))
    return raw


# What the API reads of the token's owner; any other field loads on first use (deferred, as with only()).
USER_FIELDS = ("id", "username", "is_active")


def user_for_token(raw: str) -> Any:
    """The active user a bearer token belongs to, with the profile loaded (every API call does this): one query."""
    users = get_user_model()._meta.db_table
    user = _with_profile(
        USER_FIELDS, f"JOIN {ApiToken._meta.db_table} t ON t.user_id = {users}.id", "t.digest = %s", token_digest(raw)
    )
    return user if user is not None and user.is_active else None


def user_with_profile(user_id: int) -> Any:
    """The user (every field) with the profile loaded: what each page view's session resolves to, in one query."""
    return _with_profile(None, "", f"{get_user_model()._meta.db_table}.id = %s", user_id)


def _with_profile(fields: tuple[str, ...] | None, join: str, where: str, param: Any) -> Any:
    User = get_user_model()
    users, profiles = User._meta.db_table, Profile._meta.db_table
    found = sql.fetch_joined(
        ((User, fields) if fields else User, Profile),
        f"{join} LEFT JOIN {profiles} ON {profiles}.user_id = {users}.id WHERE {where}",
        [param],
    )
    if found is None:
        return None
    user, profile = found
    if profile is not None:
        user._state.fields_cache["profile"] = profile
    return user


def rotate_calendar_token(user: Any) -> str:
    """A new secret for the calendar feed; the old URL stops working at once."""
    raw = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(user=user, defaults={"digest": token_digest(raw)})
    return raw


def user_for_calendar(raw: str) -> Any:
    token = CalendarToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
    return token.user if token is not None and token.user.is_active else None
