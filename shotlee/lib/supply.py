"""Supply arithmetic: concentrations, reconstitution, mg <-> mL <-> insulin-syringe units, what is left, FIFO.

Pure and exact. A concentration is kept as the pair it came from (5 mg in 2 mL), and conversions are
`Fraction`s of it, so 5 mg + 3 mL (1.666… mg/mL) converts back and forth without drift. A result is rounded
only when it is stored or shown: to micro-units (six decimals, the ledger's precision), half to even, and
`exact()` says whether anything was lost. Never a float.

Insulin syringes are marked in units of insulin: a U-100 syringe shows 100 units per mL, a U-40 syringe 40.
The app suggests no concentration, diluent or dose: every number here is one the person typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from shotlee.lib.inputs import TooLarge, decimal_places, read_decimal

MICRO = 1_000_000
PLACES = 6
SYRINGES = {"U-100": 100, "U-40": 40}  # units marked per mL
SYRINGE_SIZES_ML = (Decimal("0.3"), Decimal("0.5"), Decimal("1"))
MAX_CONCENTRATION = Decimal(1000)  # mg/mL; a solution's mass per mL cannot sensibly exceed ~1 g/mL
MAX_VOLUME_ML = Decimal(1000)  # a litre: the largest container of any form this tracks
MAX_AMOUNT = Decimal(1_000_000)
MG, ML, SYRINGE_UNITS = "mg", "mL", "syringe_units"
ENTERED_UNITS = (MG, ML, SYRINGE_UNITS)


class SupplyError(ValueError):
    """An impossible or unusable input; `field` is the input it is about, the message says why in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def number(raw: object, field: str, noun: str, *, limit: Decimal = MAX_AMOUNT) -> Decimal:
    """A positive exact decimal with at most six decimals, at most `limit`; SupplyError naming `field` otherwise."""
    try:
        value = read_decimal(raw, noun)
    except TooLarge:
        raise SupplyError(field, f"{noun} must be at most {limit:,}") from None
    except ValueError as exc:
        raise SupplyError(field, str(exc)) from None
    if value <= 0:
        raise SupplyError(field, f"{noun} must be greater than zero")
    if value > limit:
        raise SupplyError(field, f"{noun} must be at most {limit:,}")
    if decimal_places(value) > PLACES:
        raise SupplyError(field, f"{noun} can have at most {PLACES} decimal places")
    return value


def syringe_scale(name: object) -> int:
    if name not in SYRINGES:
        raise SupplyError("syringe", f"must be one of {', '.join(SYRINGES)}")
    assert isinstance(name, str)
    return SYRINGES[name]


@dataclass(frozen=True)
class Concentration:
    """`amount` (mg, or the supply's own unit) in `volume` mL: 2.5 mg/mL is (2.5, 1); 5 mg powder + 2 mL is (5, 2)."""

    amount: Decimal
    volume: Decimal = Decimal(1)

    @property
    def per_ml(self) -> Fraction:
        return Fraction(self.amount) / Fraction(self.volume)

    def text(self, unit: str = MG) -> str:
        return f"{show(self.per_ml)} {unit}/mL"


def concentration(amount: object, volume: object = 1, *, field: str = "strength") -> Concentration:
    """A labelled strength (mg per mL); refuses zero, negative and impossible values."""
    mass = number(amount, field, "the strength")
    ml = number(volume, field, "the volume", limit=MAX_VOLUME_ML)
    result = Concentration(mass, ml)
    if result.per_ml > MAX_CONCENTRATION:
        raise SupplyError(field, f"{result.text()} is more than {MAX_CONCENTRATION:,} mg/mL: check the numbers")
    return result


def reconstitute(powder: object, diluent: object) -> Concentration:
    """Powder (mg) dissolved in diluent (mL): the concentration, exactly (5 mg + 2 mL = 2.5 mg/mL)."""
    mass = number(powder, "powder", "the powder")
    ml = number(diluent, "diluent", "the diluent", limit=MAX_VOLUME_ML)
    result = Concentration(mass, ml)
    if result.per_ml > MAX_CONCENTRATION:
        raise SupplyError("diluent", f"{result.text()} is more than {MAX_CONCENTRATION:,} mg/mL: check the numbers")
    return result


def mg_to_ml(mg: Fraction | Decimal, conc: Concentration) -> Fraction:
    return Fraction(mg) / conc.per_ml


def ml_to_mg(ml: Fraction | Decimal, conc: Concentration) -> Fraction:
    return Fraction(ml) * conc.per_ml


def ml_to_units(ml: Fraction | Decimal, syringe: str = "U-100") -> Fraction:
    return Fraction(ml) * SYRINGES[syringe]


def units_to_ml(units: Fraction | Decimal, syringe: str = "U-100") -> Fraction:
    return Fraction(units) / SYRINGES[syringe]


def exact(value: Fraction, places: int = PLACES) -> bool:
    """Whether `value` has at most `places` decimals, so rounding it loses nothing."""
    return bool((value * 10**places).denominator == 1)


def rounded(value: Fraction, places: int = PLACES) -> Decimal:
    """`value` to `places` decimals, half to even; trailing zeros dropped."""
    quantum = Decimal(1).scaleb(-places)
    result = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, rounding=ROUND_HALF_EVEN)
    return result.normalize() if result else Decimal(0)


def show(value: Fraction, places: int = PLACES) -> str:
    """A number as a person reads it: exact when it is, "≈" and rounded when it is not."""
    text = f"{rounded(value, places):f}"
    return text if exact(value, places) else f"≈ {text}"


def to_micro(value: Fraction) -> int:
    """Micro-units, rounded half to even (what the ledger stores)."""
    return int(rounded(value) * MICRO)


@dataclass(frozen=True)
class Dose:
    """One dose in all three measures, exactly, with the arithmetic that got there."""

    mg: Fraction
    ml: Fraction
    units: Fraction
    syringe: str
    steps: tuple[str, ...]

    @property
    def is_exact(self) -> bool:
        return all(exact(v) for v in (self.mg, self.ml, self.units))


def convert(amount: object, unit: str, conc: Concentration, syringe: str = "U-100", *, drug: str = MG) -> Dose:
    """A dose typed in mg (the supply's unit), mL or syringe units, in all three; SupplyError for bad input."""
    if unit not in ENTERED_UNITS:
        raise SupplyError("unit", f"must be one of {drug}, mL or syringe units")
    scale = syringe_scale(syringe)
    noun = "the dose"
    value = Fraction(number(amount, "amount", noun))
    per = conc.text(drug)
    steps: tuple[str, ...]
    if unit == MG:
        mg = value
        ml = mg_to_ml(mg, conc)
        units = ml_to_units(ml, syringe)
        steps = (
            f"{show(mg)} {drug} ÷ {per} = {show(ml)} mL",
            f"{show(ml)} mL × {scale} units/mL = {show(units)} units",
        )
    elif unit == ML:
        ml = value
        mg = ml_to_mg(ml, conc)
        units = ml_to_units(ml, syringe)
        steps = (
            f"{show(ml)} mL × {per} = {show(mg)} {drug}",
            f"{show(ml)} mL × {scale} units/mL = {show(units)} units",
        )
    else:
        units = value
        ml = units_to_ml(units, syringe)
        mg = ml_to_mg(ml, conc)
        steps = (
            f"{show(units)} units ÷ {scale} units/mL ({syringe} syringe) = {show(ml)} mL",
            f"{show(ml)} mL × {per} = {show(mg)} {drug}",
        )
    if conc.volume != 1:
        steps = (f"{conc.amount} {drug} ÷ {conc.volume} mL = {per}", *steps)
    return Dose(mg=mg, ml=ml, units=units, syringe=syringe, steps=steps)


def syringe_for(ml: Fraction) -> Decimal | None:
    """The smallest common insulin syringe (0.3, 0.5 or 1 mL) that holds `ml`, or None when none does."""
    return next((size for size in SYRINGE_SIZES_ML if Fraction(size) >= ml), None)


# ---- what is left, and which supply a dose draws from


def remaining_micro(total_micro: int, adjusted_micro: int, drawn_micro: int, *, discarded: bool = False) -> int:
    """What is left in a supply, in micro-units of its drug; never below zero; nothing once discarded."""
    if discarded:
        return 0
    return max(0, total_micro + adjusted_micro - drawn_micro)


def doses_left(remaining: int, dose: int) -> int:
    """Whole doses of `dose` micro-units in `remaining` (a dose part-drawn from the next vial does not count)."""
    if dose <= 0:
        raise SupplyError("dose", "the dose must be greater than zero")
    return remaining // dose


def usable_until(expires_on: date | None, opened_on: date | None, beyond_use_days: int | None) -> date | None:
    """The last day a supply may be used: its expiry, or its beyond-use date after opening, whichever is first."""
    days = [d for d in (expires_on,) if d is not None]
    if opened_on is not None and beyond_use_days:
        days.append(opened_on + timedelta(days=beyond_use_days))
    return min(days, default=None)


def expired(until: date | None, on: date) -> bool:
    return until is not None and on > until


@dataclass(frozen=True)
class Stock:
    """A supply as FIFO sees it."""

    key: Any
    remaining_micro: int
    opened: bool
    until: date | None  # usable_until
    order: int  # when it was added: earlier first among equals


def fifo(stocks: Sequence[Stock], on: date) -> Stock | None:
    """Which supply a dose draws from by default: one with something left, not expired if any is not; open before
    unopened; then the first to expire (first-expiring-first-out); then the first added."""
    usable = [s for s in stocks if s.remaining_micro > 0]
    return min(
        usable,
        key=lambda s: (expired(s.until, on), not s.opened, s.until or date.max, s.order),
        default=None,
    )


RUN_OUT_LIMIT = 1000


def runs_out(next_due: datetime, left: int, advance: Callable[[datetime], datetime]) -> datetime | None:
    """When the supply runs out at the schedule: the first due time it cannot cover (`left` doses from `next_due`).

    None past RUN_OUT_LIMIT doses (years of tablets: the page says "more than 1000 doses").
    """
    if left > RUN_OUT_LIMIT:
        return None
    at = next_due
    for _ in range(left):
        at = advance(at)
    return at
