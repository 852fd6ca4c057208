"""Health metrics and lab readings: ledger records, stored in canonical units."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from shotlee.accounts.models import Profile
from shotlee.ledger import records
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, EntryQuerySet, LedgerHead
from shotlee.lib import hashchain
from shotlee.lib import metrics as lib
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import text_problems
from shotlee.metrics.forms import Reading, build_reading, defaults_of
from shotlee.metrics.models import MetricType
from shotlee.protocols.models import DOSE, Protocol

METRIC = "metric"

MICRO = Decimal(1_000_000)


def since_last_dose(user: User, at: datetime) -> list[dict[str, Any]]:
    """Trough/peak context for a lab: hours from each active protocol's last dose before the draw."""
    context = []
    for protocol in Protocol.objects.for_user(user).active():
        last = (
            Entry.objects.for_user(user)
            .of_kind(DOSE)
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


def _append(head: LedgerHead, user: User, reading: Reading, target: Entry | None = None, reason: str = "") -> Entry:
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
        kind=METRIC,
        occurred_at=reading.measured_at,
        uid=reading.uid,
        subject=reading.protocol.uid if reading.protocol else None,
        compound=reading.key,
        amount_micro=int(reading.value * MICRO),
        unit=reading.unit,
        target_seq=target.seq if target is not None else None,
        data=data,
    )


def append_reading(head: LedgerHead, user: User, reading: Reading) -> Entry:
    """Inside a write (an import): append a validated reading."""
    return _append(head, user, reading)


def record_metric(user: User, reading: Reading, **write_options: Any) -> ledger.Outcome:
    """Record a reading; an unusual value is kept with its warning (201), an impossible one never gets here."""
    return records.record(user, reading.uid, lambda head: _append(head, user, reading), **write_options)


def correct_metric(
    user: User,
    target_uid: uuid.UUID,
    values: dict[str, Any],
    reason: str,
    *,
    tz: tzinfo = UTC,
    **write_options: Any,
) -> ledger.Outcome:
    """Supersede a reading with a corrected value; a number without a unit is in the unit it was entered in."""

    def replace(head: LedgerHead, target: Entry) -> Entry:
        changes = dict(values)
        if changes.get("value") is not None and changes.get("unit") is None:
            changes["unit"] = target.data["entered"]["unit"]
        return _append(head, user, build_reading(user, changes, defaults_of(target)), target, reason)

    return records.supersede(user, target_uid, METRIC, replace, **write_options)


def readings(
    user: User, *, key: str = "", since: datetime | None = None, until: datetime | None = None
) -> EntryQuerySet:
    rows = Entry.objects.for_user(user).of_kind(METRIC).effective()
    if key:
        rows = rows.filter(compound=key)
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.order_by("-occurred_at", "-seq")


def create_metric_type(user: User, name: Any, unit: Any, min_value: Any = None, max_value: Any = None) -> MetricType:
    errors: dict[str, str] = text_problems({"name": name, "unit": unit})
    if "name" not in errors and (not isinstance(name, str) or not name.strip() or len(name.strip()) > 60):
        errors["name"] = "must be 1 to 60 characters"
    if "unit" not in errors and (not isinstance(unit, str) or not unit.strip() or len(unit.strip()) > 20):
        errors["unit"] = "must be 1 to 20 characters"
    bounds: list[Decimal | None] = []
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


def in_preferred(reading: Entry, preferences: Mapping[str, str]) -> tuple[str, str, str]:
    """(value, value2, unit) of a stored reading in the person's preferred unit: as typed when it was typed in that
    unit (182.4 lb stays 182.4, never 182.40000); otherwise converted and rounded to the unit's usual precision."""
    data = reading.data
    spec = lib.BUILT_IN.get(data["type"])
    if spec is None:
        return data["value"], data.get("value2") or "", data["unit"]
    unit = preferences.get(spec.key, spec.unit)
    if unit not in spec.all_units():
        unit = spec.unit
    entered = data.get("entered") or {}
    if entered.get("unit", spec.unit) == unit and _typed_number(entered.get("value")):
        typed2 = entered.get("value2")
        return (
            _as_typed(entered["value"]),
            _as_typed(typed2) if isinstance(typed2, str) and _typed_number(typed2) else "",
            unit,
        )
    value = lib.display(lib.from_canonical(spec, Decimal(data["value"]), unit), spec, unit)
    value2 = (
        lib.display(lib.from_canonical(spec, Decimal(data["value2"]), unit), spec, unit) if data.get("value2") else ""
    )
    return value, value2, unit


def _as_typed(text: str) -> str:
    return format(Decimal(text), "f")  # the digits typed ("182.40" stays), without an exponent ("1e2" is 100)


def _typed_number(text: Any) -> bool:
    try:
        return isinstance(text, str) and Decimal(text).is_finite()
    except ArithmeticError:
        return False


def adopt_unit(user: User, preferences: Mapping[str, str], key: str, unit: str) -> bool:
    """With no preferred unit for a metric yet, the unit the person typed becomes it; True when it did (so the page
    can say so, once). Set in Settings, a preference is never changed here."""
    spec = lib.BUILT_IN.get(key)
    if spec is None or not spec.units or key in preferences or unit not in spec.all_units():
        return False
    chosen = json.dumps({**preferences, key: unit}, sort_keys=True)
    # Scoped by the user like every query on a per-user table (docs/deploy.md, "Scaling out").
    return bool(Profile.objects.filter(user=user).update(units=chosen))


def metric_body(entry: Entry) -> dict[str, Any]:
    return {"protocol": str(entry.subject) if entry.subject else None, **entry.data}


def metric_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    """One line of history, in the person's unit: "Weight: 182.4 lb", never the stored "82.735248 kg"."""
    value, value2, unit = in_preferred(entry, preferences)
    return f"{entry.data['name']}: {value}{f'/{value2}' if value2 else ''} {unit}"
