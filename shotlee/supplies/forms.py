"""Supply input: `build_*` functions validate it for the API and the pages alike; the page forms read what a person
types. Every number is the person's own, from the label or the pharmacy: nothing here suggests one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from shotlee.lib import supply
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import text_problems
from shotlee.lib.supply import SupplyError
from shotlee.supplies.models import LIQUID, Form
from shotlee.web.forms import PageForm

DRUG_UNITS = ("mg", "mcg", "IU")
MAX_COUNT = Decimal(100_000)  # tablets or pens in one supply
MAX_BEYOND_USE_DAYS = 3650


@dataclass
class SupplyInput:
    name: str
    form: Form
    drug_unit: str
    strength: Decimal | None  # drug per mL, pen or tablet; None for a powder vial
    quantity: Decimal | None  # mL, pens or tablets; None for a powder vial
    powder: Decimal | None = None
    dose_steps: str = ""
    lot: str = ""
    expires_on: date | None = None
    opened_on: date | None = None
    beyond_use_days: int | None = None
    note: str = ""
    uid: uuid.UUID | None = None


def _number(values: dict[str, Any], field: str, noun: str, errors: dict[str, str], limit: Decimal) -> Decimal | None:
    raw = values.get(field)
    if raw in (None, ""):
        return None
    try:
        return supply.number(raw, field, noun, limit=limit)
    except SupplyError as exc:
        errors[field] = exc.message
        return None


def _date(values: dict[str, Any], field: str, errors: dict[str, str]) -> date | None:
    raw = values.get(field)
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[field] = "must be a date like 2026-12-31"
        return None


def _text(values: dict[str, Any], field: str, limit: int, errors: dict[str, str]) -> str:
    raw = values.get(field) or ""
    if not isinstance(raw, str):
        errors[field] = "must be text"
        return ""
    if len(raw.strip()) > limit:
        errors[field] = f"must be at most {limit} characters"
    return raw.strip()


def build_supply(values: dict[str, Any], *, today: date) -> SupplyInput:
    """Validate a new supply; InvalidInput names each bad field. A powder vial gives `powder` (mg) instead of a
    strength and amount, and is reconstituted later."""
    errors: dict[str, str] = text_problems(values)
    name = _text(values, "compound", 120, errors)
    if not name and "compound" not in errors:
        errors["compound"] = "say what it is, e.g. semaglutide"
    raw_form = values.get("form") or ""
    form = Form(raw_form) if raw_form in Form.values else None
    if form is None:
        errors["form"] = f"must be one of {', '.join(Form.values)}"
    drug_unit = values.get("drug_unit") or "mg"
    if drug_unit not in DRUG_UNITS:
        errors["drug_unit"] = f"must be one of {', '.join(DRUG_UNITS)}"
    limit = supply.MAX_VOLUME_ML if form in LIQUID else MAX_COUNT
    strength = _number(values, "strength", "the strength", errors, supply.MAX_AMOUNT)
    quantity = _number(values, "quantity", "the amount", errors, limit)
    powder = _number(values, "powder", "the powder", errors, supply.MAX_AMOUNT)
    if form is not None:
        if powder is not None:
            if form != Form.VIAL:
                errors["powder"] = "only a vial holds powder to reconstitute"
            elif strength is not None or quantity is not None:
                errors["powder"] = "give either the powder (to reconstitute later) or the strength and amount"
        else:
            if strength is None and "strength" not in errors:
                errors["strength"] = "is required (from the label), or give the powder of a vial to reconstitute"
            if quantity is None and "quantity" not in errors:
                errors["quantity"] = "is required: how much the supply holds"
        if strength is not None and form in LIQUID and drug_unit == "mg" and strength > supply.MAX_CONCENTRATION:
            errors["strength"] = f"more than {supply.MAX_CONCENTRATION:,} mg/mL: check the label"
    expires_on = _date(values, "expires_on", errors)
    opened_on = _date(values, "opened_on", errors)
    if opened_on is not None and opened_on > today:
        errors["opened_on"] = "is in the future"
    beyond = values.get("beyond_use_days")
    beyond_use_days = None
    if beyond not in (None, ""):
        if isinstance(beyond, str) and beyond.strip().isdigit():
            beyond = int(beyond.strip())
        if isinstance(beyond, bool) or not isinstance(beyond, int) or not 1 <= beyond <= MAX_BEYOND_USE_DAYS:
            errors["beyond_use_days"] = f"must be a whole number of days from 1 to {MAX_BEYOND_USE_DAYS}"
        else:
            beyond_use_days = beyond
    dose_steps = _text(values, "dose_steps", 200, errors)
    lot = _text(values, "lot", 60, errors)
    note = _text(values, "note", 2000, errors)
    if errors:
        raise InvalidInput(errors)
    assert form is not None
    return SupplyInput(
        name=name,
        form=form,
        drug_unit=drug_unit,
        strength=strength,
        quantity=quantity,
        powder=powder,
        dose_steps=dose_steps,
        lot=lot,
        expires_on=expires_on,
        opened_on=opened_on,
        beyond_use_days=beyond_use_days,
        note=note,
        uid=values.get("client_entry_id"),
    )


def build_reconstitution(values: dict[str, Any], powder: Decimal | None) -> tuple[supply.Concentration, Decimal]:
    """The powder (the vial's, unless given) and the diluent: the concentration, exactly, and the powder."""
    errors: dict[str, str] = {}
    raw_powder = values.get("powder") if values.get("powder") not in (None, "") else powder
    if raw_powder is None:
        errors["powder"] = "is required: how much powder the vial holds"
    if values.get("diluent") in (None, ""):
        errors["diluent"] = "is required: how much water (or other diluent) you added"
    if errors:
        raise InvalidInput(errors)
    try:
        conc = supply.reconstitute(raw_powder, values.get("diluent"))
    except SupplyError as exc:
        raise InvalidInput({exc.field: exc.message}) from None
    return conc, conc.amount


def build_adjustment(values: dict[str, Any]) -> tuple[Decimal, str]:
    """A loss (spilled, broken, lost) in the supply's own unit, with the reason; both required."""
    errors: dict[str, str] = text_problems(values)
    amount = _number(values, "amount", "the amount lost", errors, supply.MAX_AMOUNT)
    if amount is None and "amount" not in errors:
        errors["amount"] = "is required: how much was lost"
    reason = _text(values, "reason", 500, errors)
    if not reason and "reason" not in errors:
        errors["reason"] = "say what happened, e.g. spilled while drawing"
    if errors:
        raise InvalidInput(errors)
    assert amount is not None
    return amount, reason


def build_reason(values: dict[str, Any]) -> str:
    errors: dict[str, str] = text_problems(values)
    reason = _text(values, "reason", 500, errors)
    if errors:
        raise InvalidInput(errors)
    return reason


class SupplyForm(PageForm):
    """The "Add a supply" page."""

    client_entry_id = forms.UUIDField(required=False)
    compound = forms.CharField(label="Compound", required=False, max_length=120)
    form = forms.CharField(label="Form", required=False, max_length=10)
    drug_unit = forms.CharField(label="Measured in", required=False, max_length=8)
    strength = forms.CharField(label="Strength", required=False, max_length=40)
    quantity = forms.CharField(label="Amount", required=False, max_length=40)
    powder = forms.CharField(label="Powder in the vial", required=False, max_length=40)
    dose_steps = forms.CharField(label="Pen dose steps", required=False, max_length=200)
    lot = forms.CharField(label="Lot", required=False, max_length=60)
    expires_on = forms.CharField(label="Expiry date", required=False, max_length=20)
    opened_on = forms.CharField(label="Opened on", required=False, max_length=20)
    beyond_use_days = forms.CharField(label="Use within (days after opening)", required=False, max_length=6)
    note = forms.CharField(label="Note", required=False, max_length=2000)

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReconstituteForm(PageForm):
    powder = forms.CharField(label="Powder in the vial (mg)", required=False, max_length=40)
    diluent = forms.CharField(label="Water added (mL)", required=False, max_length=40)
    confirm = forms.CharField(required=False, max_length=4)


class AdjustForm(PageForm):
    amount = forms.CharField(label="Amount lost", required=False, max_length=40)
    reason = forms.CharField(label="What happened", required=False, max_length=500)


class DiscardForm(PageForm):
    reason = forms.CharField(label="Why (optional)", required=False, max_length=500)


class CalculatorForm(forms.Form):
    """The public calculator: a dose in mg, mL or syringe units, and a concentration (or powder and water)."""

    amount = forms.CharField(label="Dose", required=False, max_length=40)
    unit = forms.CharField(label="Dose unit", required=False, max_length=16)
    strength = forms.CharField(label="Concentration (mg/mL)", required=False, max_length=40)
    powder = forms.CharField(label="Powder in the vial (mg)", required=False, max_length=40)
    diluent = forms.CharField(label="Water added (mL)", required=False, max_length=40)
    syringe = forms.CharField(label="Syringe", required=False, max_length=8)
