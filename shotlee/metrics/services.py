"""Health metrics and lab readings: ledger records, stored in canonical units."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shotlee.doses.services import entry_body, record_entry
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, Kind
from shotlee.lib import hashchain
from shotlee.lib import metrics as lib
from shotlee.lib.errors import InvalidInput
from shotlee.metrics.models import MetricType
from shotlee.protocols.models import Protocol

MICRO = Decimal(1_000_000)
STORE = Decimal("0.000001")

# Preferred-unit choices a person can set, per metric type.
PREFERENCES = {key: spec.all_units() for key, spec in lib.BUILT_IN.items() if spec.units}


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


def metric_type(user: Any, key: str) -> lib.MetricSpec | MetricType:
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


def build_reading(user: Any, values: dict[str, Any], defaults: dict[str, Any] | None = None) -> Reading:
    """Validate a reading and convert it to the canonical unit; InvalidInput names each bad field."""
    merged = {**(defaults or {}), **{k: v for k, v in values.items() if v is not None}}
    errors: dict[str, str] = {}
    key = str(merged.get("type") or "")
    kind = metric_type(user, key)
    measured_at = merged.get("measured_at") or timezone.now()
    if not isinstance(measured_at, datetime) or measured_at.tzinfo is None or measured_at.utcoffset() is None:
        errors["measured_at"] = "must be a date and time with a UTC offset"
    elif measured_at > timezone.now() + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS):
        errors["measured_at"] = "is in the future"
    note = merged.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
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
        measured_at=measured_at.astimezone(UTC),
        lab=lab,
        warnings=warnings,
        note=note.strip(),
        protocol=protocol,
        uid=merged.get("client_entry_id"),
    )


def since_last_dose(user: Any, at: datetime) -> list[dict[str, Any]]:
    """Trough/peak context for a lab: hours from each active protocol's last dose before the draw."""
    context = []
    for protocol in Protocol.objects.for_user(user).active():
        last = (
            Entry.objects.for_user(user)
            .doses()
            .filter(subject=protocol.uid, occurred_at__lte=at)
            .effective()
            .order_by("-occurred_at", "-seq")
            .first()
        )
        if last is not None:
            hours = Decimal((at - last.occurred_at).total_seconds()) / 3600
            context.append(
                {
                    "protocol": str(protocol.uid),
                    "name": protocol.name,
                    "hours": hashchain.format_decimal(hours.quantize(Decimal("0.1"))),
                }
            )
    return context


def _append(head: Any, user: Any, reading: Reading, target: Entry | None = None, reason: str = "") -> Entry:
    data: dict[str, Any] = {
        "type": reading.key,
        "name": reading.name,
        "value": hashchain.format_decimal(reading.value),
        "value2": hashchain.format_decimal(reading.value2) if reading.value2 is not None else None,
        "unit": reading.unit,
        "entered": reading.entered,
        "warnings": reading.warnings,
        "note": reading.note,
        "lab": reading.lab,
        "since_last_dose": since_last_dose(user, reading.measured_at) if reading.lab else [],
    }
    if target is not None:
        data["reason"] = reason
    return ledger.append(
        head,
        kind=Kind.METRIC,
        occurred_at=reading.measured_at,
        uid=reading.uid,
        subject=reading.protocol.uid if reading.protocol else None,
        compound=reading.key,
        amount_micro=int(reading.value * MICRO),
        unit=reading.unit,
        target_seq=target.seq if target is not None else None,
        data=data,
    )


def record_metric(user: Any, reading: Reading, **write_options: Any) -> ledger.Outcome:
    """Record a reading; an unusual value is kept with its warning (201), an impossible one never gets here."""
    return record_entry(user, reading.uid, lambda head: _append(head, user, reading), **write_options)


def correct_metric(
    user: Any, target_uid: uuid.UUID, values: dict[str, Any], reason: str, **write_options: Any
) -> ledger.Outcome:
    def action(head: Any) -> ledger.Outcome:
        target = ledger.correctable(user, target_uid)
        data = target.data
        defaults = {
            "type": data["type"],
            "value": data["value"],
            "value2": data.get("value2"),
            "unit": data["unit"],
            "measured_at": target.occurred_at,
            "note": data.get("note", ""),
            "protocol": target.subject,
        }
        changes = dict(values)
        if changes.get("value") is not None and changes.get("unit") is None:
            changes["unit"] = data["entered"]["unit"]  # a corrected number is in the unit it was entered in
        reading = build_reading(user, changes, defaults)
        return ledger.Outcome(201, entry_body(_append(head, user, reading, target, reason)))

    return ledger.write(user, action, **write_options)


def readings(user: Any, *, key: str = "", since: datetime | None = None, until: datetime | None = None):
    rows = Entry.objects.for_user(user).filter(kind=Kind.METRIC).effective()
    if key:
        rows = rows.filter(compound=key)
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.order_by("-occurred_at", "-seq")


def create_metric_type(user: Any, name: Any, unit: Any, min_value: Any = None, max_value: Any = None) -> MetricType:
    errors: dict[str, str] = {}
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        errors["name"] = "must be 1 to 60 characters"
    if not isinstance(unit, str) or not unit.strip() or len(unit.strip()) > 20:
        errors["unit"] = "must be 1 to 20 characters"
    bounds = []
    for field_name, raw in (("min", min_value), ("max", max_value)):
        if raw in (None, ""):
            bounds.append(None)
            continue
        try:
            bounds.append(lib.parse_value(raw))
        except lib.MetricError as exc:
            errors[field_name] = str(exc)
            bounds.append(None)
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        errors["max"] = "must be above the minimum"
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            return MetricType.objects.create(
                user=user,
                name=name.strip(),
                unit=unit.strip(),
                min_value=str(bounds[0]) if bounds[0] is not None else "",
                max_value=str(bounds[1]) if bounds[1] is not None else "",
            )
    except IntegrityError:
        raise InvalidInput({"name": "you already have a metric type with this name"}) from None


def in_preferred(reading: Entry, preferences: dict[str, str]) -> tuple[str, str, str]:
    """(value, value2, unit) of a stored reading in the person's preferred unit, rounded for display."""
    data = reading.data
    spec = lib.BUILT_IN.get(data["type"])
    if spec is None:
        return data["value"], data.get("value2") or "", data["unit"]
    unit = preferences.get(spec.key, spec.unit)
    if unit not in spec.all_units():
        unit = spec.unit
    value = lib.display(lib.from_canonical(spec, Decimal(data["value"]), unit), spec, unit)
    value2 = (
        lib.display(lib.from_canonical(spec, Decimal(data["value2"]), unit), spec, unit) if data.get("value2") else ""
    )
    return value, value2, unit
