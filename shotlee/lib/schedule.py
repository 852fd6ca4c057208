"""Schedules: when the next dose is due, and which titration step is in force.

Pure functions on aware datetimes. Intervals in hours are absolute time;
intervals in days, weeks or months follow the wall clock of the person's time
zone, so a weekly 08:00 injection stays at 08:00 across a clock change.
`next_due` follows the last real dose, never the plan: a missed dose is late,
not invented.
"""

from __future__ import annotations

import calendar
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
        ladder = tuple(Step(Decimal(str(s["dose"])), s.get("weeks")) for s in data.get("ladder") or ())
        if data.get("weekdays"):
            return cls(weekdays=tuple(sorted(WEEKDAYS.index(d) for d in data["weekdays"])), ladder=ladder)
        return cls(every=int(data["every"]), unit=data.get("unit", "days"), ladder=ladder)

    def describe(self) -> str:
        if self.weekdays:
            names = ", ".join(calendar.day_name[d] for d in self.weekdays)
            return f"every {names}"
        unit = self.unit[:-1] if self.every == 1 else self.unit
        return f"every {unit}" if self.every == 1 else f"every {self.every} {unit}"


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


def ladder_step(schedule: Schedule, ladder_started_at: datetime | None, at: datetime) -> int | None:
    """Index of the titration step in force at `at`, counted in weeks from the first dose; None without a ladder."""
    if not schedule.ladder:
        return None
    if ladder_started_at is None or at <= ladder_started_at:
        return 0
    elapsed = at - ladder_started_at
    boundary = timedelta(0)
    for index, step in enumerate(schedule.ladder):
        if step.weeks is None:
            return index
        boundary += timedelta(weeks=step.weeks)
        if elapsed < boundary:
            return index
    return len(schedule.ladder) - 1


def start_of(day: date, tz: tzinfo, at: time = time(9, 0)) -> datetime:
    """The start date as a due time: 09:00 local on that day."""
    return localize(datetime.combine(day, at), tz)
