"""Dose input validation, shared by the web form and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from shotlee.doses.services import DoseInput
from shotlee.lib import rules
from shotlee.lib.errors import InvalidInput
from shotlee.lib.units import AmountError, parse_amount, parse_unit
from shotlee.protocols.models import Protocol, Route


def check_occurred_at(value: datetime | None, field: str = "occurred_at") -> datetime:
    now = timezone.now()
    if value is None:
        return now
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput({field: "must include a UTC offset, like 2026-01-31T08:00:00+01:00"})
    if value > now + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS):
        raise InvalidInput({field: "is in the future; a dose can be logged at most 5 minutes ahead"})
    if value.year < 1900:
        raise InvalidInput({field: "is too far in the past"})
    return value.astimezone(UTC)


def build_dose(values: dict[str, Any], *, protocol: Protocol | None, defaults: dict[str, Any]) -> DoseInput:
    """Validate dose fields for a new dose or a correction; raise InvalidInput naming each bad field.

    `defaults` fill fields the request leaves out (a correction keeps the original's values).
    """
    errors: dict[str, str] = {}
    amount = unit = occurred_at = None
    try:
        amount = parse_amount(values.get("amount", defaults.get("amount")))
    except AmountError as exc:
        errors["amount"] = str(exc)
    current = protocol.current if protocol else None  # parsed once: the version's settings
    raw_unit = values.get("unit") or defaults.get("unit") or (current.unit.value if current else None)
    if raw_unit is None:
        errors["unit"] = "is required when no protocol is given"
    else:
        try:
            unit = parse_unit(raw_unit)
        except AmountError as exc:
            errors["unit"] = str(exc)
    route = values.get("route") or defaults.get("route") or (current.route if current else "")
    if route and route not in Route.values:
        errors["route"] = f"must be one of {', '.join(Route.values)}"
    unknown = set(values.get("acknowledge") or []) - set(rules.CODES)
    if unknown:
        errors["acknowledge"] = f"unknown warning code(s): {', '.join(sorted(unknown))}"
    if "occurred_at" in values and values["occurred_at"] is not None:
        try:
            occurred_at = check_occurred_at(values["occurred_at"])
        except InvalidInput as exc:
            errors.update(exc.errors)
    else:
        occurred_at = defaults.get("occurred_at") or timezone.now()
    if errors:
        raise InvalidInput(errors)
    site = values.get("site")
    note = values.get("note")
    return DoseInput(
        amount=amount,
        unit=unit,
        occurred_at=occurred_at,
        protocol=protocol,
        compound=values.get("compound") or defaults.get("compound") or "",
        route=route,
        site=(site if site is not None else defaults.get("site", "")).strip(),
        note=(note if note is not None else defaults.get("note", "")).strip(),
        acknowledge=frozenset(values.get("acknowledge") or []),
        uid=values.get("client_entry_id"),
    )
