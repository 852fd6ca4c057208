"""The dose safety rules (DESIGN.md section 4), one pure function per warning code.

Each rule reads a `Case`: the candidate dose, the limits and schedule of the
protocol version in force when it occurred, and its `Neighbours` — the few
other doses a rule needs (the one before, the one after, one of the same
amount nearby, the doses that can share a rolling window with it). The caller
finds the neighbours with bounded reads (doses.services); `neighbours()` finds
them in a list, for tests and the reference model. `check` composes the rules.
Nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from shotlee.lib.units import Unit, convert_micro, from_micro

TOO_SOON = "too_soon"
OVER_SINGLE_MAX = "over_single_max"
OVER_WINDOW_MAX = "over_window_max"
POSSIBLE_DUPLICATE = "possible_duplicate"
UNIT_MISMATCH = "unit_mismatch"
CLASS_OVERLAP = "class_overlap"
OFF_SCHEDULE = "off_schedule"
EXPIRED_SUPPLY = "expired_supply"
INSUFFICIENT_SUPPLY = "insufficient_supply"
LONG_AGO = "long_ago"
LABELS = {
    TOO_SOON: "Too soon",
    OVER_SINGLE_MAX: "Above your maximum dose",
    OVER_WINDOW_MAX: "Above your window cap",
    POSSIBLE_DUPLICATE: "Possible duplicate",
    UNIT_MISMATCH: "Unit mismatch",
    CLASS_OVERLAP: "Same drug class",
    OFF_SCHEDULE: "Off schedule",
    EXPIRED_SUPPLY: "Expired supply",
    INSUFFICIENT_SUPPLY: "Not enough left in the supply",
    LONG_AGO: "More than a year ago",
}
CODES = (
    TOO_SOON,
    OVER_SINGLE_MAX,
    OVER_WINDOW_MAX,
    POSSIBLE_DUPLICATE,
    UNIT_MISMATCH,
    CLASS_OVERLAP,
    OFF_SCHEDULE,
    LONG_AGO,
    EXPIRED_SUPPLY,
    INSUFFICIENT_SUPPLY,
)
DUPLICATE_WINDOW = timedelta(minutes=30)
LONG_AGO_AFTER = timedelta(days=365)  # a dose dated further back is more likely a typo in the year than a back-fill


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


@dataclass(frozen=True)
class Neighbours:
    """The other doses the rules look at, of the same protocol (or compound and route)."""

    previous: Dose | None = None  # the latest at or before the candidate
    following: Dose | None = None  # the earliest after it
    duplicate: Dose | None = None  # one of the same amount (in the protocol's unit) within the duplicate window
    window: Sequence[Dose] = ()  # those that can share a rolling window with it; may be left empty when the
    # caller has shown that no window can exceed the cap (doses.services checks a sum first)


@dataclass(frozen=True)
class Supply:
    """The vial, pen or bottle a dose is drawn from, as the supply rules see it (read inside the chain lock)."""

    name: str  # what a person calls it: "Semaglutide vial, lot A12"
    remaining_micro: int  # what is left, in `unit`
    unit: Unit
    usable_until: date | None = None  # the expiry or beyond-use date, whichever is first
    discarded: bool = False
    draw_micro: int | None = None  # the dose in `unit`, when the caller converted it by the supply's concentration


@dataclass(frozen=True)
class Case:
    """Everything the rules know about one candidate dose; times in UTC."""

    candidate: Dose
    limits: Limits | None
    neighbours: Neighbours
    compound: str
    overlapping: Sequence[str] = ()
    due_at: datetime | None = None  # one schedule step after `neighbours.previous`, when there is a schedule
    duplicate_window: timedelta = DUPLICATE_WINDOW
    tz: tzinfo = UTC
    supply: Supply | None = None  # the supply the dose is drawn from, if any
    now: datetime | None = None  # the server's clock when the dose is checked (None: rules about "now" stay silent)
    unit: Unit = field(init=False)  # the unit comparisons happen in: the protocol's, else the dose's own
    amount: int | None = field(init=False)  # the candidate in that unit; None when it does not convert exactly

    def __post_init__(self) -> None:
        unit = self.limits.unit if self.limits else self.candidate.unit
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "amount", convert_micro(self.candidate.amount_micro, self.candidate.unit, unit))


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


def _in_unit(dose: Dose, unit: Unit) -> Dose | None:
    micro = convert_micro(dose.amount_micro, dose.unit, unit)
    return None if micro is None else Dose(dose.occurred_at, micro, unit)


# ---- the rules, in the order of DESIGN.md section 4


def too_soon(case: Case) -> Warning | None:
    """Closer than the minimum interval to the dose before it, or (back-dated) to the one after it."""
    limits, t, n = case.limits, case.candidate.occurred_at, case.neighbours
    if limits is None or not limits.min_interval:
        return None
    gap = limits.min_interval
    if n.previous and t - n.previous.occurred_at < gap:
        when, side = n.previous.occurred_at, "after"
    elif n.following and n.following.occurred_at - t < gap:
        when, side = n.following.occurred_at, "before"
    else:
        return None
    return Warning(
        TOO_SOON,
        f"{_only(t - when)} {side} your {case.compound} dose of {_fmt_time(when, case.tz)}; "
        f"your protocol's minimum interval is {human_duration(gap)}.",
    )


def over_single_max(case: Case) -> Warning | None:
    limits = case.limits
    if case.amount is None or limits is None or limits.max_single_micro is None:
        return None
    if case.amount <= limits.max_single_micro:
        return None
    return Warning(
        OVER_SINGLE_MAX,
        f"{_amount(case.amount, case.unit)} is above your protocol's maximum of "
        f"{_amount(limits.max_single_micro, case.unit)} per dose.",
    )


def window_peak(candidate: Dose, others: Sequence[Dose], window: timedelta) -> int:
    """The largest total, in micro-units, of any rolling window [s, s+window) holding the candidate.

    The best window starts at a dose time in (t - window, t], so only those
    starts are checked, in one sweep over the doses sorted by time (linear after
    sorting, however densely they lie); `others` must be in the candidate's unit.
    """
    t = candidate.occurred_at
    doses = sorted((d for d in [*others, candidate] if t - window < d.occurred_at < t + window), key=_time)
    best = total = end = 0
    for dose in doses:  # `total` is the sum of the doses from this one up to (not including) doses[end]
        if dose.occurred_at > t:
            break
        while end < len(doses) and doses[end].occurred_at < dose.occurred_at + window:
            total += doses[end].amount_micro
            end += 1
        best = max(best, total)
        total -= dose.amount_micro
    return best


def _time(dose: Dose) -> datetime:
    return dose.occurred_at


def over_window_max(case: Case) -> Warning | None:
    """The total in some rolling window holding the dose is above the protocol's cap."""
    limits = case.limits
    if case.amount is None or limits is None or not limits.window or limits.window_max_micro is None:
        return None
    others = [d for d in (_in_unit(dose, case.unit) for dose in case.neighbours.window) if d is not None]
    peak = window_peak(Dose(case.candidate.occurred_at, case.amount, case.unit), others, limits.window)
    if peak <= limits.window_max_micro:
        return None
    return Warning(
        OVER_WINDOW_MAX,
        f"This dose brings the total within {human_duration(limits.window)} to {_amount(peak, case.unit)}, "
        f"above your protocol's cap of {_amount(limits.window_max_micro, case.unit)}.",
    )


def possible_duplicate(case: Case) -> Warning | None:
    dose = case.neighbours.duplicate
    if case.amount is None or dose is None:
        return None
    return Warning(
        POSSIBLE_DUPLICATE,
        f"A {case.compound} dose of {_amount(case.amount, case.unit)} is already recorded at "
        f"{_fmt_time(dose.occurred_at, case.tz)}. Was it logged twice, perhaps from another device?",
    )


def unit_mismatch(case: Case) -> Warning | None:
    if case.limits is None or case.amount is not None:
        return None
    unit = case.limits.unit.value
    return Warning(
        UNIT_MISMATCH,
        f"Your protocol doses {case.compound} in {unit}, and {case.candidate.unit.value} cannot be "
        f"converted to {unit} exactly, so the dose limits cannot be checked.",
    )


def class_overlap(case: Case) -> Warning | None:
    if not case.overlapping:
        return None
    names = ", ".join(case.overlapping)
    return Warning(CLASS_OVERLAP, f"{case.compound} is in the same drug class as your active protocol(s): {names}.")


def off_schedule(case: Case) -> Warning | None:
    """More than half a schedule step before the dose was due (one step after the dose before it): an extra dose?

    Only for a protocol with no minimum interval: with one, `too_soon` guards early doses by the person's own
    limit. A late dose is not warned about: the dashboard counts the missed doses, and the guide's missed-dose
    advice is shown with the protocol.
    """
    previous, due, limits = case.neighbours.previous, case.due_at, case.limits
    if previous is None or due is None or limits is None or limits.min_interval:
        return None
    t = case.candidate.occurred_at
    step = due - previous.occurred_at
    if t >= due - step / 2:
        return None
    return Warning(
        OFF_SCHEDULE,
        f"This {case.compound} dose is {human_duration(due - t)} before it was due ({_fmt_time(due, case.tz)}), "
        f"only {human_duration(t - previous.occurred_at)} after the one before it. Check that this is not an extra dose.",
    )


def expired_supply(case: Case) -> Warning | None:
    """The supply is past its expiry or beyond-use date on the dose's day (in the person's time zone)."""
    supply = case.supply
    if supply is None or supply.usable_until is None:
        return None
    day = case.candidate.occurred_at.astimezone(case.tz).date()
    if day <= supply.usable_until:
        return None
    return Warning(
        EXPIRED_SUPPLY,
        f"{supply.name} was usable until {supply.usable_until:%d %b %Y} (its expiry or beyond-use date); "
        f"this dose is {(day - supply.usable_until).days} day(s) later.",
    )


def insufficient_supply(case: Case) -> Warning | None:
    """The dose is more than the supply has left (in the supply's unit; a dose that does not convert is skipped)."""
    supply = case.supply
    if supply is None:
        return None
    amount = supply.draw_micro
    if amount is None:
        amount = convert_micro(case.candidate.amount_micro, case.candidate.unit, supply.unit)
    if amount is None or amount <= supply.remaining_micro:
        return None
    left = (
        "nothing left (it was discarded)"
        if supply.discarded
        else f"only {_amount(supply.remaining_micro, supply.unit)} left"
    )
    return Warning(
        INSUFFICIENT_SUPPLY,
        f"This dose of {_amount(amount, supply.unit)} is more than {supply.name} has: {left}.",
    )


def long_ago(case: Case) -> Warning | None:
    """Dated more than a year before now: a plausible back-fill, or a typo in the year (1900 for 2026)."""
    if case.now is None or case.now - case.candidate.occurred_at <= LONG_AGO_AFTER:
        return None
    return Warning(
        LONG_AGO,
        f"This dose is dated {case.candidate.occurred_at.astimezone(case.tz).strftime('%-d %B %Y')}, more than a "
        "year ago. Check the year before recording it.",
    )


RULES: tuple[Callable[[Case], Warning | None], ...] = (
    too_soon,
    over_single_max,
    over_window_max,
    possible_duplicate,
    unit_mismatch,
    class_overlap,
    off_schedule,
    long_ago,
    expired_supply,
    insufficient_supply,
)


def evaluate(case: Case) -> list[Warning]:
    """Every warning that fires for the case, in the order of DESIGN.md section 4."""
    return [w for w in (rule(case) for rule in RULES) if w is not None]


def neighbours(
    candidate: Dose, history: Sequence[Dose], unit: Unit, duplicate_window: timedelta = DUPLICATE_WINDOW
) -> Neighbours:
    """The neighbours of `candidate` in a list of doses (UTC or not); `unit` is the unit amounts compare in."""
    t = candidate.occurred_at
    before = [d for d in history if d.occurred_at <= t]
    after = [d for d in history if d.occurred_at > t]
    amount = convert_micro(candidate.amount_micro, candidate.unit, unit)
    same = [
        d
        for d in history
        if amount is not None
        and abs(d.occurred_at - t) < duplicate_window
        and convert_micro(d.amount_micro, d.unit, unit) == amount
    ]
    return Neighbours(
        previous=max(before, key=_time, default=None),
        following=min(after, key=_time, default=None),
        duplicate=min(same, key=lambda d: abs(d.occurred_at - t), default=None),
        window=list(history),
    )


def _utc(dose: Dose) -> Dose:
    return Dose(dose.occurred_at.astimezone(UTC), dose.amount_micro, dose.unit)


def check(
    candidate: Dose,
    limits: Limits | None,
    history: Sequence[Dose],
    *,
    compound: str,
    overlapping: Sequence[str] = (),
    duplicate_window: timedelta = DUPLICATE_WINDOW,
    due_at: datetime | None = None,
    tz: tzinfo = UTC,
    now: datetime | None = None,
) -> list[Warning]:
    """Every warning for `candidate` against a list of the other doses (of the same protocol)."""
    # In UTC: arithmetic between datetimes sharing one ZoneInfo is wall-clock arithmetic, wrong across DST.
    candidate = _utc(candidate)
    history = [_utc(d) for d in history]
    unit = limits.unit if limits else candidate.unit
    case = Case(
        candidate=candidate,
        limits=limits,
        neighbours=neighbours(candidate, history, unit, duplicate_window),
        compound=compound,
        overlapping=overlapping,
        due_at=due_at.astimezone(UTC) if due_at else None,
        duplicate_window=duplicate_window,
        tz=tz,
        now=now,
    )
    return evaluate(case)
