"""The dose safety rules (DESIGN.md section 4), as pure functions.

The caller hands over the candidate dose, the limits of the protocol version
in force when it occurred, and the effective doses of the same compound near
it; `check` returns the warnings that fire. Nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from shotlee.lib.units import Unit, convert_micro, from_micro

TOO_SOON = "too_soon"
OVER_SINGLE_MAX = "over_single_max"
OVER_WINDOW_MAX = "over_window_max"
POSSIBLE_DUPLICATE = "possible_duplicate"
UNIT_MISMATCH = "unit_mismatch"
CLASS_OVERLAP = "class_overlap"
OFF_SCHEDULE = "off_schedule"
LABELS = {
    TOO_SOON: "Too soon",
    OVER_SINGLE_MAX: "Above your maximum dose",
    OVER_WINDOW_MAX: "Above your window cap",
    POSSIBLE_DUPLICATE: "Possible duplicate",
    UNIT_MISMATCH: "Unit mismatch",
    CLASS_OVERLAP: "Same drug class",
    OFF_SCHEDULE: "Off schedule",
}
CODES = (TOO_SOON, OVER_SINGLE_MAX, OVER_WINDOW_MAX, POSSIBLE_DUPLICATE, UNIT_MISMATCH, CLASS_OVERLAP, OFF_SCHEDULE)


@dataclass(frozen=True)
class Limits:
    unit: Unit
    min_interval: timedelta | None = None
    max_single_micro: int | None = None
    window: timedelta | None = None
    window_max_micro: int | None = None


@dataclass(frozen=True)
class Dose:
    occurred_at: datetime
    amount_micro: int
    unit: Unit


@dataclass(frozen=True)
class Warning:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def human_duration(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day" + ("s" if days != 1 else ""))
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "less than a minute"


def _only(delta: timedelta) -> str:
    text = human_duration(delta)
    return "Less than a minute" if text == "less than a minute" else f"Only {text}"


def _fmt_time(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%d %b %Y %H:%M %Z").strip()


def _amount(micro: int, unit: Unit) -> str:
    return f"{from_micro(micro):f} {unit.value}"


def window_peak(candidate: Dose, others: Sequence[Dose], window: timedelta) -> int:
    """The largest total, in micro-units, of any rolling window [s, s+window) holding the candidate.

    The best window starts at a dose time in (t - window, t], so only those starts
    need checking; `others` must already be in the candidate's unit.
    """
    t = candidate.occurred_at
    doses = [*others, candidate]
    starts = {d.occurred_at for d in doses if t - window < d.occurred_at <= t}
    best = 0
    for start in starts:
        end = start + window
        total = sum(d.amount_micro for d in doses if start <= d.occurred_at < end)
        best = max(best, total)
    return best


def check(
    candidate: Dose,
    limits: Limits | None,
    same_compound: Sequence[Dose],
    *,
    compound: str,
    overlapping: Sequence[str] = (),
    duplicate_window: timedelta = timedelta(minutes=30),
    tz: tzinfo = UTC,
) -> list[Warning]:
    """Every warning that fires for `candidate`, in the order of DESIGN.md section 4."""
    warnings: list[Warning] = []
    # In UTC: arithmetic between datetimes sharing one ZoneInfo is wall-clock arithmetic, wrong across DST.
    candidate = Dose(candidate.occurred_at.astimezone(UTC), candidate.amount_micro, candidate.unit)
    same_compound = [Dose(d.occurred_at.astimezone(UTC), d.amount_micro, d.unit) for d in same_compound]
    t = candidate.occurred_at
    target_unit = limits.unit if limits else candidate.unit
    amount = convert_micro(candidate.amount_micro, candidate.unit, target_unit)

    # Doses of the same compound in the unit the comparison happens in; the rest cannot be summed.
    comparable = []
    for dose in same_compound:
        micro = convert_micro(dose.amount_micro, dose.unit, target_unit)
        if micro is not None:
            comparable.append(Dose(dose.occurred_at, micro, target_unit))

    if limits and limits.min_interval:
        before = [d for d in same_compound if d.occurred_at <= t]
        after = [d for d in same_compound if d.occurred_at > t]
        prev = max(before, key=lambda d: d.occurred_at, default=None)
        nxt = min(after, key=lambda d: d.occurred_at, default=None)
        if prev and t - prev.occurred_at < limits.min_interval:
            warnings.append(
                Warning(
                    TOO_SOON,
                    f"{_only(t - prev.occurred_at)} after your {compound} dose of "
                    f"{_fmt_time(prev.occurred_at, tz)}; your protocol's minimum interval is "
                    f"{human_duration(limits.min_interval)}.",
                )
            )
        elif nxt and nxt.occurred_at - t < limits.min_interval:
            warnings.append(
                Warning(
                    TOO_SOON,
                    f"{_only(nxt.occurred_at - t)} before your {compound} dose of "
                    f"{_fmt_time(nxt.occurred_at, tz)}; your protocol's minimum interval is "
                    f"{human_duration(limits.min_interval)}.",
                )
            )

    if amount is not None and limits and limits.max_single_micro is not None and amount > limits.max_single_micro:
        warnings.append(
            Warning(
                OVER_SINGLE_MAX,
                f"{_amount(amount, target_unit)} is above your protocol's maximum of "
                f"{_amount(limits.max_single_micro, target_unit)} per dose.",
            )
        )

    if amount is not None and limits and limits.window and limits.window_max_micro is not None:
        peak = window_peak(Dose(t, amount, target_unit), comparable, limits.window)
        if peak > limits.window_max_micro:
            warnings.append(
                Warning(
                    OVER_WINDOW_MAX,
                    f"This dose brings the total within {human_duration(limits.window)} to "
                    f"{_amount(peak, target_unit)}, above your protocol's cap of "
                    f"{_amount(limits.window_max_micro, target_unit)}.",
                )
            )

    if amount is not None:
        for dose in comparable:
            if dose.amount_micro == amount and abs(dose.occurred_at - t) < duplicate_window:
                warnings.append(
                    Warning(
                        POSSIBLE_DUPLICATE,
                        f"A {compound} dose of {_amount(amount, target_unit)} is already recorded at "
                        f"{_fmt_time(dose.occurred_at, tz)}. Was it logged twice, perhaps from another device?",
                    )
                )
                break

    if limits and amount is None:
        warnings.append(
            Warning(
                UNIT_MISMATCH,
                f"Your protocol doses {compound} in {limits.unit.value}, and {candidate.unit.value} cannot be "
                f"converted to {limits.unit.value} exactly, so the dose limits cannot be checked.",
            )
        )

    if overlapping:
        names = ", ".join(overlapping)
        warnings.append(
            Warning(
                CLASS_OVERLAP,
                f"{compound} is in the same drug class as your active protocol(s): {names}.",
            )
        )
    return warnings
