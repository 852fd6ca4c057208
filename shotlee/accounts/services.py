from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from shotlee.accounts import invites
from shotlee.accounts.models import ApiToken, CalendarToken, Invite, Profile, token_digest, valid_timezone
from shotlee.ledger import memo, sql
from shotlee.ledger.erase import erase_chain
from shotlee.ledger.services import create_head

USERNAME_MAX = 150


TAKEN = "That username is taken."


class RegistrationError(Exception):
    """What is wrong, by field. `taken` says the username is in use (the API must not tell; a page must)."""

    def __init__(self, errors: dict[str, list[str]], taken: bool = False):
        super().__init__(errors)
        self.errors = errors
        self.taken = taken


def register_user(username: str, password: str, timezone: str = "UTC", invite: Invite | None = None) -> User:
    """Create the user, their profile and their empty chain in one transaction (using up the invite, if any)."""
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
    taken = not errors and User.objects.filter(username__iexact=username).exists()
    if taken:
        errors["username"] = [TAKEN]
    try:
        password_validation.validate_password(password or "", User(username=username))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if timezone and not valid_timezone(timezone):
        errors["timezone"] = [f"Unknown time zone {timezone!r}."]
    if errors:
        raise RegistrationError(errors, taken=taken)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
            Profile.objects.create(user=user, timezone=timezone or "UTC")
            create_head(user)
            if invite is not None and not invites.redeem(invite, user):
                raise RegistrationError({"invite": [invites.USED]})
    except IntegrityError:
        raise RegistrationError({"username": [TAKEN]}, taken=True) from None
    return user


TOKEN_NAME_MAX = 60
LAST_USE_RESOLUTION = timedelta(minutes=1)


def issue_token(user: User, name: str = "", expires_at: datetime | None = None) -> str:
    """A new bearer token; only its digest is kept, so the raw value is shown once."""
    raw = "sht_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, digest=token_digest(raw), name=name.strip()[:TOKEN_NAME_MAX], expires_at=expires_at
    )
    return raw


def revoke_calling_token(user: User, authorization: str) -> None:
    """Revoke the token an API request was made with (its Authorization header)."""
    raw = authorization.partition(" ")[2].strip()
    ApiToken.objects.for_user(user).filter(digest=token_digest(raw)).delete()


def end_other_access(user: User) -> None:
    """After a password change or reset: every API token ends (sessions end with the password's hash)."""
    ApiToken.objects.for_user(user).delete()


# Every API call looks its token up: the QuerySet is compiled once (bench row "POST /api/v1/doses", in-process).
# What the API reads of the owner: the id, the name, whether active, and the profile (time zone, units).
_TOKEN_OWNER = sql.Compiled(
    lambda digest: ApiToken.objects.filter(digest=digest).values_list(
        "user_id", "user__username", "user__is_active", "user__profile__id", "user__profile__timezone",
        "user__profile__units", "id", "last_used_at", "expires_at",
    ),
    digest=str,
)  # fmt: skip


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, with the profile loaded; other user fields load when first read."""
    rows = _TOKEN_OWNER(digest=token_digest(raw))
    if not rows or not rows[0][2]:
        return None
    user_id, username, is_active, profile_id, tz, units, token_id, last_used_at, expires_at = rows[0]
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        return None
    if last_used_at is None or now - last_used_at >= LAST_USE_RESOLUTION:
        _note_use(token_id, user_id, now)
    user = get_user_model().from_db(connection.alias, ["id", "username", "is_active"], [user_id, username, is_active])
    if profile_id is not None:
        profile = Profile.from_db(
            connection.alias, ["id", "user_id", "timezone", "units"], [profile_id, user_id, tz, units]
        )
        user._state.fields_cache["profile"] = profile
    return user


def _note_use(token_id: int, user_id: int, now: datetime) -> None:
    """The token's last use, to the minute: one small write a minute per token, not one per call. Best effort."""
    try:
        ApiToken.objects.filter(pk=token_id, user_id=user_id).update(last_used_at=now)
    except OperationalError:
        pass  # a busy SQLite writer: the time shown is a minute older, nothing else depends on it


def rotate_calendar_token(user: User) -> str:
    """A new secret for the calendar feed; the old URL stops working at once."""
    raw = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(user=user, defaults={"digest": token_digest(raw)})
    return raw


def user_for_calendar(raw: str) -> User | None:
    token = CalendarToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
    return token.user if token is not None and token.user.is_active else None


def erase_account(user: User) -> None:
    """Remove the person: every ledger record (through ledger.erase, leaving a tombstone), then the account and
    everything that hangs off it (profile, tokens, protocols, custom metric types), in one transaction."""
    with transaction.atomic():
        erase_chain(user)
        AccessAttempt.objects.filter(username=user.get_username()).delete()  # axes' failed log-ins, by name
        user.delete()
    memo.forget()  # nothing of theirs stays in this worker's memory (other workers drop it within the minute)
