"""A user's protocols.

The settings of every version live in the ledger (kind "protocol", subject =
the protocol's uid), so a change is recorded, never overwritten. This row is a
projection of the latest version, kept in the same transaction, for lists.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models

from shotlee.lib import rules
from shotlee.lib.schedule import Schedule, every_hours
from shotlee.lib.units import Unit, to_micro

# The record kinds of protocol versions and of doses in the ledger. Doses are the doses app's records; their kind
# name lives here because scheduling (next due, missed doses, the ladder) reads them, and protocols sit below doses.
PROTOCOL = "protocol"
DOSE = "dose"


class Route(models.TextChoices):
    INTRADERMAL = "intradermal", "Intradermal"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
    INTRAMUSCULAR = "intramuscular", "Intramuscular"
    ORAL = "oral", "Oral"
    TOPICAL = "topical", "Topical"


class ProtocolQuerySet(models.QuerySet["Protocol"]):
    def for_user(self, user: User | int) -> ProtocolQuerySet:
        return self.filter(user=user)

    def active(self) -> ProtocolQuerySet:
        return self.filter(stopped=False)


class Protocol(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per user (Meta)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="protocols")
    name = models.CharField(max_length=120)
    compound = models.CharField(max_length=120)  # compound key (lib.classes.compound_key)
    drug_class = models.CharField(max_length=60, blank=True, default="")
    settings = models.TextField(default="{}")  # the latest version's settings, canonical JSON
    version_seq = models.BigIntegerField()  # ledger seq of the latest version
    stopped = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        # With the user: a table distributed by user needs it in every unique key (docs/deploy.md, "Scaling out").
        constraints = [models.UniqueConstraint(fields=["user", "uid"], name="protocol_user_uid")]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> ProtocolSettings:
        return ProtocolSettings.from_dict(json.loads(self.settings))


class ProtocolSettings:
    """The settings of one protocol version, with exact decimals."""

    FIELDS = (
        "name",
        "compound",
        "dose",
        "unit",
        "route",
        "interval_hours",
        "min_interval_hours",
        "max_single_dose",
        "window_hours",
        "window_max",
        "sites",
        "starts_on",
        "schedule",
        "ladder",
        "guide",
        "guide_version",
        "regimen",
        "confirmed_step",
        "course",
        "sites_mode",
    )

    def __init__(self, **values: Any):
        self.name: str = values["name"]
        self.compound: str = values["compound"]
        self.dose: Decimal = Decimal(values["dose"])
        self.unit = Unit(values["unit"])
        self.route: str = values["route"]
        self.interval_hours: Decimal | None = _dec(values.get("interval_hours"))
        self.min_interval_hours: Decimal | None = _dec(values.get("min_interval_hours"))
        self.max_single_dose: Decimal | None = _dec(values.get("max_single_dose"))
        self.window_hours: Decimal | None = _dec(values.get("window_hours"))
        self.window_max: Decimal | None = _dec(values.get("window_max"))
        self.sites: list[str] = list(values.get("sites") or [])
        self.starts_on: str = values["starts_on"]
        self.schedule: dict[str, Any] | None = values.get("schedule") or None
        self.ladder: list[dict[str, Any]] = list(values.get("ladder") or [])
        self.guide: str | None = values.get("guide")
        self.guide_version: str | None = values.get("guide_version")
        self.regimen: str | None = values.get("regimen")
        # The highest titration step the person confirmed (a step the label makes optional needs it), 0 for none.
        self.confirmed_step: int = int(values.get("confirmed_step") or 0)
        # A finite course: {"sessions": 7, "offsets_weeks": [0, 1, 2, 3, 5, 7, 11]}, or None for an open protocol.
        self.course: dict[str, Any] | None = values.get("course") or None
        self.sites_mode: str = values.get("sites_mode") or "rotate"  # "all": a session treats every site

    @property
    def schedule_text(self) -> str:
        plan = self.plan()
        if plan is not None:
            return plan.describe()
        return every_hours(self.interval_hours) if self.interval_hours is not None else ""

    @property
    def sessions(self) -> int | None:
        return int(self.course["sessions"]) if self.course else None

    def plan(self) -> Schedule | None:
        """The schedule with its titration ladder, or None for a protocol without one."""
        if self.schedule:
            return Schedule.from_dict({**self.schedule, "ladder": self.ladder})
        if self.interval_hours is not None and self.interval_hours == self.interval_hours.to_integral_value():
            return Schedule(every=int(self.interval_hours), unit="hours")
        return None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtocolSettings:
        return cls(**{k: data.get(k) for k in cls.FIELDS})

    def as_dict(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.FIELDS}

    def limits(self) -> rules.Limits:
        return rules.Limits(
            unit=self.unit,
            min_interval=_hours(self.min_interval_hours),
            max_single_micro=to_micro(self.max_single_dose) if self.max_single_dose is not None else None,
            window=_hours(self.window_hours),
            window_max_micro=to_micro(self.window_max) if self.window_max is not None else None,
        )


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _hours(value: Decimal | None) -> timedelta | None:
    return None if value is None else timedelta(microseconds=int(value * 3600 * 1_000_000))
