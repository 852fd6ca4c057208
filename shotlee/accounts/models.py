from __future__ import annotations

import hashlib
import json
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models


def valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(max_length=64, default="UTC")
    units = models.TextField(default="{}")  # preferred display unit per metric type, JSON

    def __str__(self) -> str:
        return f"profile of {self.user_id}"

    @property
    def preferred_units(self) -> dict[str, str]:
        try:
            value = json.loads(self.units)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone if valid_timezone(self.timezone) else "UTC")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_user(self, user: User | int) -> ApiTokenQuerySet:
        return self.filter(user=user)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    name = models.CharField(max_length=60, blank=True, default="")  # what the person calls it: "phone", "script"
    last_used_at = models.DateTimeField(null=True, blank=True)  # to the minute (accounts.services.user_for_token)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: until revoked

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"token {self.digest[:8]} of {self.user_id}"


class CalendarToken(models.Model):
    """The secret in a person's private calendar-feed URL; only its SHA-256 is stored, and it can be rotated."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar token of {self.user_id}"


class TwoStep(models.Model):
    """A person's authenticator app (TOTP, RFC 6238). Its secret must stay readable to check codes; `last_step`
    is the 30-second step of the last code accepted, so a code works once (ASVS 6.5.1)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_step")
    secret = models.CharField(max_length=64)  # base32
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"two-step of {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its SHA-256 is stored (80 random bits each)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_once_per_user")]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class Invite(models.Model):
    """A sign-up link for one person: single use, expiring, and only its SHA-256 is stored."""

    digest = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=100, blank=True, default="")  # who it is for, as the admin wrote it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"invite {self.digest[:8]}"
