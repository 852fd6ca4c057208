"""Amounts and dose units.

Amounts are exact decimals, stored as integer micro-units (SQLite has no real
decimal type). Only mg and mcg convert between each other; IU, mL and units
need a factor that depends on the preparation, so they never convert.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from shotlee.lib.inputs import TooLarge, decimal_places, read_decimal


class Unit(StrEnum):
    MG = "mg"
    MCG = "mcg"
    IU = "IU"
    ML = "mL"
    UNITS = "units"


UNIT_ALIASES = {
    "mg": Unit.MG,
    "mcg": Unit.MCG,
    "µg": Unit.MCG,
    "μg": Unit.MCG,
    "ug": Unit.MCG,
    "iu": Unit.IU,
    "ml": Unit.ML,
    "units": Unit.UNITS,
    "unit": Unit.UNITS,
    "u": Unit.UNITS,
}

MICRO = 1_000_000
MAX_DECIMALS = 6
MAX_AMOUNT = Decimal(1_000_000)

# How many micrograms one unit is; units absent here have no mass equivalent.
_MASS_IN_MCG = {Unit.MG: 1000, Unit.MCG: 1}


class AmountError(ValueError):
    """An amount that cannot be a dose: the message says why, in plain words."""


def parse_unit(raw: object) -> Unit:
    if not isinstance(raw, str) or raw.strip().lower() not in UNIT_ALIASES:
        allowed = ", ".join(u.value for u in Unit)
        raise AmountError(f"unknown unit {raw!r}; use one of {allowed}")
    return UNIT_ALIASES[raw.strip().lower()]


def parse_amount(raw: object) -> Decimal:
    """Read a JSON number or a decimal string into an exact, positive Decimal.

    Exactly: no step rounds (lib.inputs), so a value too small for six decimals is refused, never stored as 0.
    """
    try:
        value = read_decimal(raw, "the amount")
    except TooLarge:
        raise AmountError(f"the amount must be at most {MAX_AMOUNT:,}") from None
    except ValueError as exc:
        raise AmountError(str(exc)) from None
    if value <= 0:
        raise AmountError("the amount must be greater than zero")
    if value > MAX_AMOUNT:
        raise AmountError(f"the amount must be at most {MAX_AMOUNT:,}")
    if decimal_places(value) > MAX_DECIMALS:
        raise AmountError(f"the amount can have at most {MAX_DECIMALS} decimal places")
    return value


def to_micro(value: Decimal) -> int:
    return int(value * MICRO)


def from_micro(micro: int) -> Decimal:
    return (Decimal(micro) / MICRO).normalize()


def convert_micro(micro: int, src: Unit, dst: Unit) -> int | None:
    """Convert exactly, or None when there is no exact conversion.

    mcg -> mg divides by 1000 and stays exact at micro-unit precision only when
    the result has no more than six decimals; otherwise None.
    """
    if src == dst:
        return micro
    if src not in _MASS_IN_MCG or dst not in _MASS_IN_MCG:
        return None
    numerator = micro * _MASS_IN_MCG[src]
    factor = _MASS_IN_MCG[dst]
    if numerator % factor:
        return None
    return numerator // factor


def convert_micro_up(micro: int, src: Unit, dst: Unit) -> int | None:
    """Convert, rounding up to a whole micro-unit (an upper bound for sums); None when the units never convert."""
    if src == dst:
        return micro
    if src not in _MASS_IN_MCG or dst not in _MASS_IN_MCG:
        return None
    return -(-(micro * _MASS_IN_MCG[src]) // _MASS_IN_MCG[dst])
