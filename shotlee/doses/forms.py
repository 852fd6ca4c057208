"""Dose input: `build_dose` validates it for the API and the pages alike; the page forms read what a person types."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from shotlee.ledger.models import Entry
from shotlee.lib import rules
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import record_time, text_problems
from shotlee.lib.localtime import to_local_input
from shotlee.lib.units import AmountError, Unit, parse_amount, parse_unit
from shotlee.protocols.models import Protocol, Route
from shotlee.supplies.models import Supply
from shotlee.supplies.services import ENTERED_ONLY, convert_dose
from shotlee.web.forms import LocalDateTimeField, PageForm


@dataclass
class DoseInput:
    amount: Decimal
    unit: Unit
    occurred_at: datetime
    protocol: Protocol | None = None
    compound: str = ""
    route: str = ""
    site: str = ""
    note: str = ""
    acknowledge: frozenset[str] = field(default_factory=frozenset)
    uid: uuid.UUID | None = None
    sites: list[str] = field(default_factory=list)  # zones treated in one session (a protocol whose sites are "all")
    # Drawn from a supply: what was typed (mg, mL or syringe units) before conversion, and the drug it takes.
    supply: Supply | None = None
    entered_amount: Decimal | None = None
    entered_unit: str = ""
    drawn_micro: int | None = None


def check_occurred_at(value: datetime | None, field: str = "occurred_at") -> datetime:
    """A dose's time in UTC (lib.inputs.record_time: an offset, converts to UTC, 1900 to a few minutes ahead)."""
    now = timezone.now()
    if value is None:
        return now
    latest = now + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS)
    try:
        return record_time(value, latest=latest)
    except ValueError as exc:
        message = str(exc)
        if message == "is in the future":
            message = "is in the future; a dose can be logged at most 5 minutes ahead"
        raise InvalidInput({field: message}) from None


def build_dose(
    values: dict[str, Any], *, protocol: Protocol | None, defaults: dict[str, Any], supply: Supply | None = None
) -> DoseInput:
    """Validate dose fields for a new dose or a correction; raise InvalidInput naming each bad field.

    `defaults` fill fields the request leaves out (a correction keeps the original's values). With a `supply`
    the dose may be typed in mL or syringe units: it is converted to the protocol's unit by the supply's
    concentration (supplies.services.convert_dose), and what was typed is kept beside it.
    """
    errors: dict[str, str] = text_problems(values)
    amount = unit = occurred_at = conversion = None
    current = protocol.current if protocol else None  # parsed once: the version's settings
    raw_unit = values.get("unit") or defaults.get("unit") or (current.unit.value if current else None)
    raw_amount = values.get("amount", defaults.get("amount"))
    if supply is not None or (isinstance(raw_unit, str) and raw_unit.strip().lower() in ENTERED_ONLY):
        try:
            conversion = convert_dose(
                supply, raw_amount, raw_unit, values.get("syringe"), current.unit if current else None
            )
            amount, unit = conversion.amount, conversion.unit
        except InvalidInput as exc:
            errors.update(exc.errors)
    else:
        try:
            amount = parse_amount(raw_amount)
        except AmountError as exc:
            errors["amount"] = str(exc)
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
    if values.get("occurred_at") is not None:
        try:
            occurred_at = check_occurred_at(values["occurred_at"])
        except InvalidInput as exc:
            errors.update(exc.errors)
    else:
        occurred_at = defaults.get("occurred_at") or timezone.now()
    zones = values.get("sites")
    if zones is not None and (
        not isinstance(zones, list)
        or len(zones) > 40
        or not all(isinstance(z, str) and 0 < len(z.strip()) <= 60 for z in zones)
    ):
        errors["sites"] = "must be a list of at most 40 site names of up to 60 characters"
    elif zones is not None and protocol is not None and (set(zones) - set(protocol.current.sites)):
        errors["sites"] = "must be sites of the protocol"
    if errors:
        raise InvalidInput(errors)
    assert amount is not None and unit is not None and occurred_at is not None
    site = ", ".join(z.strip() for z in zones) if zones else values.get("site")
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
        sites=[z.strip() for z in zones] if zones else [],
        supply=supply if conversion is not None else None,
        entered_amount=conversion.entered_amount if conversion is not None else None,
        entered_unit=conversion.entered_unit if conversion is not None else "",
        drawn_micro=conversion.drawn_micro if conversion is not None else None,
    )


def defaults_of(target: Entry) -> dict[str, Any]:
    """A recorded dose's values: what a correction keeps unless it says otherwise."""
    data = target.data
    return {
        "amount": data.get("amount"),
        "unit": target.unit,
        "route": data.get("route", ""),
        "site": data.get("site", ""),
        "note": data.get("note", ""),
        "occurred_at": target.occurred_at,
        "compound": data.get("compound_name") or target.compound,
        "supply": data.get("supply"),
    }


UNITS = [(u.value, u.value) for u in Unit]


class DoseFields(PageForm):
    """What a person types for a dose; `build_dose` does the checking."""

    amount = forms.CharField(label="Amount", required=False, max_length=40)
    unit = forms.CharField(label="Unit", required=False, max_length=20)
    supply = forms.UUIDField(label="Drawn from", required=False)
    syringe = forms.CharField(label="Syringe", required=False, max_length=8)
    site = forms.CharField(label="Site", required=False, max_length=600)
    occurred_at = LocalDateTimeField(label="When", required=False)
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    acknowledge = forms.MultipleChoiceField(choices=[(c, c) for c in rules.CODES], required=False)

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in DoseFields.base_fields}

    def changes(self) -> dict[str, Any]:
        """As a correction: the values typed (empty ones keep the original's)."""
        return {k: v for k, v in self.values().items() if v not in ("", None)} | {
            "acknowledge": self.cleaned_data["acknowledge"]
        }


class DoseForm(DoseFields):
    """The "Log a dose" page."""

    client_entry_id = forms.UUIDField(required=False)


class DoseCorrectionForm(DoseFields):
    """Corrected values of a dose (the history's correction page)."""


def correction_initial(target: Entry, tz: tzinfo) -> dict[str, Any]:
    data = target.data
    return {
        "action": "void",
        "amount": data.get("amount", ""),
        "unit": target.unit,
        "site": data.get("site", ""),
        "occurred_at": to_local_input(target.occurred_at, tz),
        "note": data.get("note", ""),
    }
