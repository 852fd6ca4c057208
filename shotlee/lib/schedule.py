"""Schedules: when the next dose is due, and which titration step is in force.

Pure functions on aware datetimes. Intervals in hours are absolute time;
intervals in days, weeks or months follow the wall clock of the person's time
zone, so a weekly 08:00 injection stays at 08:00 across a clock change.
`next_due` follows the last real dose, never the plan: a missed dose is late,
not invented.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UNITS = ("hours", "days", "weeks", "months")


@dataclass(frozen=True)
class Step:
    dose: Decimal
    weeks: int | None = None  # None: the last step, kept from then on
    optional: bool = False  # the label allows it "if needed": taken only when the person confirms it


@dataclass(frozen=True)
class Schedule:
    every: int | None = None
    unit: str = "days"
    weekdays: tuple[int, ...] = ()  # 0 = Monday
    ladder: tuple[Step, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.weekdays:
            if self.every is not None:
                raise ValueError("a schedule is either every N units or on weekdays, not both")
            if any(not 0 <= d <= 6 for d in self.weekdays):
                raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        elif self.every is None or self.every < 1:
            raise ValueError("every must be a whole number of at least 1")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}")
        for step in self.ladder[:-1]:
            if step.weeks is None or step.weeks < 1:
                raise ValueError("every ladder step but the last needs a number of weeks")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        ladder = tuple(
            Step(Decimal(str(s["dose"])), s.get("weeks"), bool(s.get("optional"))) for s in data.get("ladder") or ()
        )
        if data.get("weekdays"):
            return cls(weekdays=tuple(sorted(WEEKDAYS.index(d) for d in data["weekdays"])), ladder=ladder)
        return cls(every=int(data["every"]), unit=data.get("unit", "days"), ladder=ladder)

    def describe(self) -> str:
        if self.weekdays:
            names = ", ".join(calendar.day_name[d] for d in self.weekdays)
            return f"every {names}"
        if self.unit == "hours" and self.every is not None:
            return every_hours(self.every)
        unit = self.unit[:-1] if self.every == 1 else self.unit
        return f"every {unit}" if self.every == 1 else f"every {self.every} {unit}"


def every_hours(hours: int | float | Decimal | str) -> str:
    """An interval in hours as a person says it: "every 7 days", not "every 168 hours" (whole days and weeks only)."""
    value = Decimal(str(hours))
    if value > 24 and value % 168 == 0:
        weeks = int(value / 168)
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    if value > 24 and value % 24 == 0:
        return f"every {int(value / 24)} days"
    return "every hour" if value == 1 else f"every {value.normalize():f} hours"


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 January + 1 month = 28 (or 29) February."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def localize(wall: datetime, tz: tzinfo) -> datetime:
    """A naive wall-clock time in `tz`.

    An ambiguous time (clocks going back) is its first occurrence; a time the
    clocks skip is read with the offset before the change, i.e. moved forward
    by the gap (01:30 on the spring-forward night in London is 02:30 BST).
    """
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def advance(moment: datetime, schedule: Schedule, tz: tzinfo) -> datetime:
    """The first due time after `moment` by the schedule's step."""
    if schedule.weekdays:
        local = moment.astimezone(tz)
        for offset in range(1, 8):
            day = local.date() + timedelta(days=offset)
            if day.weekday() in schedule.weekdays:
                return localize(datetime.combine(day, local.time().replace(tzinfo=None)), tz)
        raise AssertionError("unreachable: a week holds every weekday")
    assert schedule.every is not None
    if schedule.unit == "hours":
        # In UTC: aware arithmetic within one ZoneInfo is wall-clock arithmetic.
        return (moment.astimezone(UTC) + timedelta(hours=schedule.every)).astimezone(tz)
    local = moment.astimezone(tz)
    wall = local.replace(tzinfo=None)
    if schedule.unit == "months":
        day = add_months(wall.date(), schedule.every)
        return localize(datetime.combine(day, wall.time()), tz)
    days = schedule.every * (7 if schedule.unit == "weeks" else 1)
    return localize(wall + timedelta(days=days), tz)


def next_due(schedule: Schedule, last_dose_at: datetime | None, starts_at: datetime, tz: tzinfo) -> datetime:
    """After a dose: one step after the last real dose. Before any dose: the start."""
    if last_dose_at is None:
        return starts_at
    return advance(last_dose_at, schedule, tz)


def upcoming(schedule: Schedule, first_due: datetime, until: datetime, tz: tzinfo, limit: int = 100) -> list[datetime]:
    """Planned times from `first_due` up to `until` (for a calendar feed); a plan, never a record."""
    times: list[datetime] = []
    moment = first_due
    while moment <= until and len(times) < limit:
        times.append(moment)
        moment = advance(moment, schedule, tz)
    return times


def missed(schedule: Schedule, last_dose_at: datetime | None, starts_at: datetime, now: datetime, tz: tzinfo) -> int:
    """How many planned doses are overdue now (shown as missed; never recorded as doses)."""
    count = 0
    moment = next_due(schedule, last_dose_at, starts_at, tz)
    while moment < now and count < 1000:
        count += 1
        moment = advance(moment, schedule, tz)
    return count


def doses_per_step(schedule: Schedule, weeks: int) -> int:
    """How many planned doses `weeks` of the schedule hold (at least one): a weekly step of 4 weeks is 4 doses."""
    if schedule.weekdays:
        return weeks * len(schedule.weekdays)
    assert schedule.every is not None
    hours = {"hours": 1, "days": 24, "weeks": 168}.get(schedule.unit)
    if hours is None:  # months: 12 of them in 52 weeks
        return max(1, -(-weeks * 12 // (52 * schedule.every)))
    return max(1, -(-weeks * 168 // (hours * schedule.every)))


def ladder_step(schedule: Schedule, taken: int, confirmed: int = 0) -> int | None:
    """Index of the titration step in force after `taken` doses; None without a ladder.

    A step lasts its weeks' worth of doses actually taken, so a gap in dosing
    never advances the ladder by itself. A step the label makes optional is
    reached only once the person has confirmed it (`confirmed`, the highest step
    index confirmed, a recorded protocol change); until then the ladder stays on
    the step before it. A confirmed step is in force from the confirmation on.
    """
    if not schedule.ladder:
        return None
    used = 0
    for index, step in enumerate(schedule.ladder):
        if step.optional and index > confirmed:
            return max(index - 1, min(confirmed, len(schedule.ladder) - 1))
        if step.weeks is None:
            break
        used += doses_per_step(schedule, step.weeks)
        if taken < used:
            return max(index, confirmed)
    else:
        index = len(schedule.ladder) - 1
    return max(index, min(confirmed, len(schedule.ladder) - 1))


def doses_to_next_step(schedule: Schedule, taken: int, confirmed: int = 0) -> int | None:
    """How many more doses until the ladder moves on by itself; None when it will not (last step, or an optional
    step next)."""
    current = ladder_step(schedule, taken, confirmed)
    if current is None or current + 1 >= len(schedule.ladder) or schedule.ladder[current + 1].optional:
        return None
    if current + 1 <= confirmed:
        return 0
    used = sum(doses_per_step(schedule, s.weeks or 0) for s in schedule.ladder[: current + 1])
    return max(0, used - taken)


def course_due(
    first_session_at: datetime | None, offsets_weeks: Sequence[int], done: int, starts_at: datetime
) -> datetime | None:
    """When the next session of a finite course is due: `offsets_weeks[done]` weeks after the first session (after
    the start, before any session); None once every session is done."""
    if done >= len(offsets_weeks):
        return None
    anchor = first_session_at if first_session_at is not None else starts_at
    return anchor + timedelta(weeks=offsets_weeks[done] - offsets_weeks[0])


def start_of(day: date, tz: tzinfo, at: time = time(9, 0)) -> datetime:
    """The start date as a due time: 09:00 local on that day."""
    return localize(datetime.combine(day, at), tz)
