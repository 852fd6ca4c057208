"""Metric input: `build_reading` validates a reading (and converts it to its canonical unit) for the API and the
pages; the page forms read what a person types."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.ledger.models import Entry
from shotlee.lib import metrics as lib
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import record_time, text_problems
from shotlee.metrics.models import MetricType
from shotlee.protocols.models import Protocol
from shotlee.web.forms import LocalDateTimeField, PageForm

STORE = Decimal("0.000001")


@dataclass
class Reading:
    key: str  # built-in key or "custom:<uid>"
    name: str
    unit: str  # canonical unit
    value: Decimal  # canonical
    value2: Decimal | None  # diastolic, for blood pressure
    entered: dict[str, str]
    measured_at: datetime
    lab: bool
    warnings: list[str] = field(default_factory=list)
    note: str = ""
    protocol: Protocol | None = None
    uid: uuid.UUID | None = None


def metric_type(user: User, key: str) -> lib.MetricSpec | MetricType:
    if key in lib.BUILT_IN:
        return lib.BUILT_IN[key]
    if key.startswith("custom:"):
        try:
            uid = uuid.UUID(key.split(":", 1)[1])
        except ValueError:
            raise InvalidInput({"type": f"unknown metric type {key!r}"}) from None
        custom = MetricType.objects.for_user(user).filter(uid=uid).first()
        if custom is None:
            raise MetricType.DoesNotExist
        return custom
    raise InvalidInput({"type": f"unknown metric type {key!r}; use one of {', '.join(lib.BUILT_IN)} or a custom type"})


def build_reading(user: User, values: dict[str, Any], defaults: dict[str, Any] | None = None) -> Reading:
    """Validate a reading and convert it to the canonical unit; InvalidInput names each bad field."""
    merged = {**(defaults or {}), **{k: v for k, v in values.items() if v is not None}}
    errors: dict[str, str] = text_problems(values)
    if "type" in errors:
        raise InvalidInput({"type": errors["type"]})
    key = str(merged.get("type") or "")
    kind = metric_type(user, key)
    measured_at = merged.get("measured_at") or timezone.now()
    try:
        measured_at = record_time(
            measured_at, latest=timezone.now() + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS)
        )
    except ValueError as exc:
        errors["measured_at"] = str(exc)
    note = merged.get("note") or ""
    if "note" not in errors and (not isinstance(note, str) or len(note) > 2000):
        errors["note"] = "must be at most 2000 characters"
    warnings: list[str] = []
    value = value2 = None
    try:
        value = lib.parse_value(merged.get("value"))
    except lib.MetricError as exc:
        errors["value"] = str(exc)
    if isinstance(kind, lib.MetricSpec):
        unit = merged.get("unit") or kind.unit
        name, canonical_unit, lab = kind.name, kind.unit, kind.lab
        if value is not None:
            try:
                value = lib.to_canonical(kind, value, unit)
                warning = lib.check_range(kind, value, "Systolic pressure" if kind.pair else "", unit)
                warnings += [warning] if warning else []
            except lib.MetricError as exc:
                errors["unit" if "measured in" in str(exc) else "value"] = str(exc)
        if kind.pair:
            try:
                value2 = lib.to_canonical(kind, lib.parse_value(merged.get("value2")), unit)
                warning = lib.check_range(lib.DIASTOLIC, value2, "Diastolic pressure", unit)
                warnings += [warning] if warning else []
            except lib.MetricError as exc:
                errors["value2"] = f"diastolic: {exc}"
            if (
                value is not None
                and value2 is not None
                and "value" not in errors
                and "value2" not in errors
                and value2 >= value
            ):
                errors["value2"] = "the diastolic (lower) number must be below the systolic"
    else:
        unit = merged.get("unit") or kind.unit
        name, canonical_unit, lab = kind.name, kind.unit, False
        if unit != kind.unit:
            errors["unit"] = f"{kind.name} is measured in {kind.unit}"
        if value is not None:
            low = Decimal(kind.min_value) if kind.min_value else None
            high = Decimal(kind.max_value) if kind.max_value else None
            if (low is not None and value < low) or (high is not None and value > high):
                errors["value"] = (
                    f"{kind.name} must be between {kind.min_value or '…'} and {kind.max_value or '…'} {kind.unit}"
                )
    if errors:
        raise InvalidInput(errors)
    protocol = None
    if merged.get("protocol"):
        protocol = Protocol.objects.for_user(user).filter(uid=merged["protocol"]).first()
        if protocol is None:
            raise Protocol.DoesNotExist
    assert value is not None
    entered = {"value": str(merged.get("value")).strip(), "unit": unit}
    if merged.get("value2") is not None:
        entered["value2"] = str(merged.get("value2")).strip()
    return Reading(
        key=getattr(kind, "key", key),
        name=name,
        unit=canonical_unit,
        value=value.quantize(STORE),
        value2=value2.quantize(STORE) if value2 is not None else None,
        entered=entered,
        measured_at=measured_at,
        lab=lab,
        warnings=warnings,
        note=note.strip(),
        protocol=protocol,
        uid=merged.get("client_entry_id"),
    )


def defaults_of(target: Entry) -> dict[str, Any]:
    """A recorded reading's values: what a correction keeps unless it says otherwise."""
    data = target.data
    return {
        "type": data["type"],
        "value": data["value"],
        "value2": data.get("value2"),
        "unit": data["unit"],
        "measured_at": target.occurred_at,
        "note": data.get("note", ""),
        "protocol": target.subject,
    }


class ReadingForm(PageForm):
    """The "Log a metric" page: one form for any metric or lab, in the person's preferred unit."""

    client_entry_id = forms.UUIDField(required=False)
    value = forms.CharField(label="Value", required=False, max_length=40)
    value2 = forms.CharField(label="Diastolic", required=False, max_length=40)
    unit = forms.CharField(label="Unit", required=False, max_length=20)
    measured_at = LocalDateTimeField(label="When", required=False)
    note = forms.CharField(label="Note", required=False, max_length=2000)
    protocol = forms.UUIDField(label="Protocol", required=False)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {k: data[k] for k in ("value", "unit", "note", "measured_at", "client_entry_id")}
        values["value2"] = data["value2"] or None
        if data["protocol"]:
            values["protocol"] = data["protocol"]
        return values


class ReadingCorrectionForm(PageForm):
    """Corrected value of a reading, in the unit it is typed in."""

    value = forms.CharField(label="Value", required=False, max_length=40)
    value2 = forms.CharField(label="Diastolic", required=False, max_length=40)
    unit = forms.CharField(label="Unit", required=False, max_length=20)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"value": data["value"], "value2": data["value2"] or None, "unit": data["unit"]}


class MetricTypeForm(PageForm):
    name = forms.CharField(label="Name", required=False, max_length=200)
    unit = forms.CharField(label="Unit", required=False, max_length=200)
    min = forms.CharField(label="Lowest plausible value", required=False, max_length=60)
    max = forms.CharField(label="Highest plausible value", required=False, max_length=60)


def correction_initial(target: Entry, tz: tzinfo) -> dict[str, Any]:
    entered = target.data["entered"]
    return {"action": "void", "value": entered["value"], "value2": entered.get("value2", ""), "unit": entered["unit"]}
