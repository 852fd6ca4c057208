"""Calibrated to a person's own labs (issue 10, point 7): the model's estimate at each lab of the compound itself
beside the measured value, a personal scale factor and, with three or more labs, a personal half-life, each with
its standard error. Shown only; applied to the curve when the person chooses it (charts/views.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from shotlee.charts.data import Pk, significant
from shotlee.ledger.models import Entry
from shotlee.lib import levels
from shotlee.lib import metrics as metric_specs
from shotlee.lib.when import duration_hours
from shotlee.metrics.services import METRIC
from shotlee.protocols.models import Protocol

# A lab that measures the compound itself (not a downstream marker): the only labs a level estimate can be
# calibrated against.
LAB_OF_COMPOUND = {"testosterone": "testosterone_total"}


def calibration(
    user: User, protocol: Protocol, pk: Pk, doses: list[dict[str, Any]], prefs: dict[str, str]
) -> dict[str, Any] | None:
    """The model's estimate at each lab time beside the measured value; a personal scale factor (lab units per unit
    of the estimate) and, with three or more labs, a personal half-life, each with its standard error. Shown only:
    nothing is applied unless the person asks for it. None for a compound without such a lab, or without a curve."""
    key = next((lab for word, lab in LAB_OF_COMPOUND.items() if word in protocol.compound.casefold()), None)
    if key is None or pk.params is None:
        return None
    spec = metric_specs.BUILT_IN[key]
    unit = prefs.get(key, spec.unit)
    if unit not in spec.all_units():
        unit = spec.unit
    readings = list(
        Entry.objects.for_user(user)
        .of_kind(METRIC)
        .filter(compound=key)
        .effective()
        .order_by("occurred_at", "seq")[:200]
    )
    taken = [(d["t"] / 3600, d["amount"]) for d in doses if d["status"] == "effective" and d["amount"] is not None]
    times = [levels.hours(r.occurred_at) for r in readings]
    measured = [float(r.data["value"]) for r in readings]
    estimates = levels.curve(taken, times, pk.params)

    def shown(canonical: float) -> str:
        return metric_specs.display(metric_specs.from_canonical(spec, Decimal(repr(canonical)), unit), spec, unit)

    fitted = levels.fit_scale(estimates, measured)
    half = levels.fit_half_life(taken, times, measured, pk.params)
    per = float(metric_specs.from_canonical(spec, Decimal(1), unit))  # one canonical unit in the preferred unit
    rows = [
        {
            "t": r.occurred_at.timestamp(),
            "measured": shown(m),
            "estimate": significant(e),
            "calibrated": shown(fitted[0] * e) if fitted else "",
        }
        for r, m, e in zip(readings, measured, estimates, strict=True)
    ]
    return {
        "type": key,
        "lab": spec.name,
        "unit": unit,
        "estimate_unit": protocol.current.unit,
        "rows": rows,
        "scale": None
        if fitted is None
        else {"value": float(f"{fitted[0] * per:.3g}"), "error": float(f"{fitted[1] * per:.2g}")},
        "half_life": None
        if half is None
        else {
            "value": round(half.half_life_hours, 1),
            "error": None if half.standard_error_hours is None else round(half.standard_error_hours, 1),
            "published": pk.params.half_life_hours,
            "scale": float(f"{half.scale * per:.3g}"),  # the scale that goes with this half-life
        },
    }


def apply_scale(level: dict[str, Any], scale: float, unit: str, lab: str, lab_type: str) -> None:
    """The person chose it: draw the curve in their lab's unit, times their own scale factor (and, when they chose
    it too, with their own half-life: `level` was computed with it)."""
    for part in ("past", "projection"):
        level[part]["v"] = [significant(v * scale) for v in level[part]["v"]]
    level["unit"] = unit
    own = (
        f" and your half-life of {duration_hours(level['half_life_hours'])}" if level.get("personal_half_life") else ""
    )
    level["label"] = f"Estimated {lab.lower()}, scaled to your labs{own} ({unit})"
    level["calibrated"] = True
    level["lab_type"] = lab_type  # the labs of this type are drawn on the curve's own scale
