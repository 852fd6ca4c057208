"""Health metrics and lab values: canonical units, exact conversions, plausible ranges.

Every reading is stored in its type's canonical unit. Conversions are exact
Decimal arithmetic with the factors below; a value outside the hard range is
refused (it cannot be a real reading), one outside the typical range is kept
with a warning. Factors (molar masses) are the standard SI conversion factors:
glucose 180.16 g/mol (mg/dL ÷ 18.016 = mmol/L), testosterone 288.42 g/mol
(ng/dL ÷ 28.842 = nmol/L), DHT 290.44 g/mol (ng/dL ÷ 29.044 = nmol/L),
estradiol 272.38 g/mol (pg/mL × 3.6713 = pmol/L), cholesterol 386.65 g/mol
(mg/dL ÷ 38.665 = mmol/L), triglycerides as triolein 885.7 g/mol
(mg/dL ÷ 88.57 = mmol/L); HbA1c IFCC mmol/mol = 10.929 × (NGSP % − 2.15).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from shotlee.lib.inputs import TooLarge, decimal_places, read_decimal

D = Decimal


@dataclass(frozen=True)
class Conversion:
    """canonical = value × factor ÷ divisor + offset, in exact Decimal steps (no rounded reciprocal)."""

    factor: Decimal
    offset: Decimal = D(0)
    divisor: Decimal = D(1)

    def to_canonical(self, value: Decimal) -> Decimal:
        return value * self.factor / self.divisor + self.offset

    def from_canonical(self, value: Decimal) -> Decimal:
        return (value - self.offset) * self.divisor / self.factor


@dataclass(frozen=True)
class MetricSpec:
    key: str
    name: str
    unit: str  # canonical
    hard: tuple[Decimal, Decimal]  # outside: refused
    typical: tuple[Decimal, Decimal]  # outside: accepted with a warning
    units: dict[str, Conversion] = field(default_factory=dict)
    decimals: int = 1
    lab: bool = False
    pair: bool = False  # blood pressure: systolic/diastolic as one reading
    unit_decimals: dict[str, int] = field(default_factory=dict)  # display precision of the other units

    def all_units(self) -> list[str]:
        return [self.unit, *self.units]


def _per(divisor: str) -> Conversion:
    return Conversion(D(1), divisor=D(divisor))


BUILT_IN: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in [
        MetricSpec("weight", "Weight", "kg", (D(20), D(400)), (D(35), D(250)), {"lb": Conversion(D("0.45359237"))}),
        MetricSpec("body_fat", "Body fat", "%", (D(2), D(75)), (D(5), D(55))),
        MetricSpec("waist", "Waist", "cm", (D(30), D(250)), (D(50), D(160)), {"in": Conversion(D("2.54"))}),
        MetricSpec("blood_pressure", "Blood pressure", "mmHg", (D(30), D(300)), (D(70), D(180)), decimals=0, pair=True),
        MetricSpec("resting_hr", "Resting heart rate", "bpm", (D(20), D(250)), (D(40), D(110)), decimals=0),
        MetricSpec(
            "glucose",
            "Glucose",
            "mmol/L",
            (D("0.5"), D(50)),
            (D("3.5"), D(15)),
            {"mg/dL": _per("18.016")},
            1,
            unit_decimals={"mg/dL": 0},
        ),
        MetricSpec(
            "testosterone_total",
            "Total testosterone",
            "nmol/L",
            (D("0.05"), D(200)),
            (D(5), D(45)),
            {"ng/dL": _per("28.842")},
            2,
            lab=True,
            unit_decimals={"ng/dL": 0},
        ),
        MetricSpec(
            "testosterone_free",
            "Free testosterone",
            "pmol/L",
            (D("0.5"), D(5000)),
            (D(100), D(900)),
            {"pg/mL": Conversion(D("3.4673"))},
            1,
            lab=True,
        ),
        MetricSpec(
            "estradiol",
            "Estradiol",
            "pmol/L",
            (D("1"), D(20000)),
            (D(20), D(250)),
            {"pg/mL": Conversion(D("3.6713"))},
            0,
            lab=True,
        ),
        MetricSpec(
            "dht",
            "DHT",
            "nmol/L",
            (D("0.005"), D(50)),
            (D("0.3"), D("3.5")),
            {"ng/dL": _per("29.044")},
            2,
            lab=True,
            unit_decimals={"ng/dL": 1},
        ),
        MetricSpec("psa", "PSA", "ng/mL", (D("0.001"), D(10000)), (D(0), D(4)), decimals=2, lab=True),
        MetricSpec("hematocrit", "Hematocrit", "%", (D(10), D(80)), (D(35), D(54)), lab=True),
        MetricSpec(
            "hba1c",
            "HbA1c",
            "%",
            (D(3), D(20)),
            (D(4), D(10)),
            {"mmol/mol": Conversion(D(1), D("2.15"), D("10.929"))},
            1,
            lab=True,
            unit_decimals={"mmol/mol": 0},
        ),
        MetricSpec("alt", "ALT", "U/L", (D(1), D(10000)), (D(5), D(60)), decimals=0, lab=True),
        MetricSpec("ast", "AST", "U/L", (D(1), D(10000)), (D(5), D(60)), decimals=0, lab=True),
        MetricSpec(
            "cholesterol_total",
            "Total cholesterol",
            "mmol/L",
            (D("0.5"), D(30)),
            (D(2), D(8)),
            {"mg/dL": _per("38.665")},
            2,
            lab=True,
            unit_decimals={"mg/dL": 0},
        ),
        MetricSpec(
            "ldl",
            "LDL cholesterol",
            "mmol/L",
            (D("0.1"), D(25)),
            (D(1), D(6)),
            {"mg/dL": _per("38.665")},
            2,
            lab=True,
            unit_decimals={"mg/dL": 0},
        ),
        MetricSpec(
            "hdl",
            "HDL cholesterol",
            "mmol/L",
            (D("0.1"), D(10)),
            (D("0.7"), D("2.5")),
            {"mg/dL": _per("38.665")},
            2,
            lab=True,
            unit_decimals={"mg/dL": 0},
        ),
        MetricSpec(
            "triglycerides",
            "Triglycerides",
            "mmol/L",
            (D("0.1"), D(60)),
            (D("0.4"), D(5)),
            {"mg/dL": _per("88.57")},
            2,
            lab=True,
            unit_decimals={"mg/dL": 0},
        ),
    ]
}

# The lower number of a blood-pressure reading has its own ranges.
DIASTOLIC = MetricSpec("blood_pressure", "Diastolic pressure", "mmHg", (D(20), D(200)), (D(50), D(100)), decimals=0)

# Guide "metrics to monitor" names that mean a built-in type.
ALIASES = {
    "weight": "weight",
    "body weight": "weight",
    "waist": "waist",
    "waist circumference": "waist",
    "blood pressure": "blood_pressure",
    "resting heart rate": "resting_hr",
    "heart rate": "resting_hr",
    "glucose": "glucose",
    "blood glucose": "glucose",
    "fasting glucose": "glucose",
    "total testosterone": "testosterone_total",
    "testosterone": "testosterone_total",
    "free testosterone": "testosterone_free",
    "estradiol": "estradiol",
    "serum dht": "dht",
    "dht": "dht",
    "psa": "psa",
    "hematocrit": "hematocrit",
    "haematocrit": "hematocrit",
    "hba1c": "hba1c",
    "alt": "alt",
    "ast": "ast",
    "lipids": "cholesterol_total",
    "cholesterol": "cholesterol_total",
}


class MetricError(ValueError):
    """A reading that cannot be real: the message says why."""


# Any reading, custom types included: its micro-units must fit the database's 64-bit integer (amount_micro).
MAX_VALUE = D(10) ** 12
MAX_PLACES = 4


def parse_value(raw: object) -> Decimal:
    """A reading as an exact Decimal (lib.inputs: no rounding), at most a trillion either way, 4 decimals."""
    try:
        value = read_decimal(raw, "the value")
    except TooLarge:
        value = MAX_VALUE * 10  # refused just below, with the limit
    except ValueError as exc:
        raise MetricError(str(exc)) from None
    if value.copy_abs() > MAX_VALUE:  # copy_abs: exact (abs() rounds in the context)
        raise MetricError(f"the value must be between -{MAX_VALUE:,} and {MAX_VALUE:,}")
    if decimal_places(value) > MAX_PLACES:
        raise MetricError(f"the value can have at most {MAX_PLACES} decimal places")
    return value


def to_canonical(spec: MetricSpec, value: Decimal, unit: str) -> Decimal:
    if unit == spec.unit:
        return value
    if unit not in spec.units:
        raise MetricError(f"{spec.name} is measured in {', '.join(spec.all_units())}, not {unit!r}")
    return spec.units[unit].to_canonical(value)


def from_canonical(spec: MetricSpec, value: Decimal, unit: str) -> Decimal:
    if unit == spec.unit:
        return value
    return spec.units[unit].from_canonical(value)


def check_range(spec: MetricSpec, canonical: Decimal, label: str = "", unit: str = "") -> str:
    """Refuse an impossible value (MetricError); return a warning for an unusual one, or "".

    The message speaks in the unit the person typed.
    """
    name = label or spec.name
    unit = unit if unit in spec.all_units() else spec.unit

    def shown(value: Decimal) -> str:
        return display(from_canonical(spec, value, unit), spec, unit)

    def bound(value: Decimal) -> str:
        text = shown(value)
        return text.rstrip("0").rstrip(".") if "." in text else text

    low, high = spec.hard
    if canonical < low or canonical > high:
        raise MetricError(
            f"{name} of {shown(canonical)} {unit} is not possible; readings are between {bound(low)} and {bound(high)} {unit}"
        )
    t_low, t_high = spec.typical
    if canonical < t_low or canonical > t_high:
        return f"{name} of {shown(canonical)} {unit} is unusual (typical {bound(t_low)}–{bound(t_high)} {unit}); please double-check it."
    return ""


def display(value: Decimal, spec: MetricSpec, unit: str = "") -> str:
    """Rounded for reading: each unit has its own precision (650 ng/dL, 22.54 nmol/L)."""
    places = spec.unit_decimals.get(unit, spec.decimals) if unit and unit != spec.unit else spec.decimals
    quantum = D(1).scaleb(-places)
    return f"{value.quantize(quantum):f}"


# Preferred-unit choices a person can set, per metric type.
PREFERENCES = {key: spec.all_units() for key, spec in BUILT_IN.items() if spec.units}
