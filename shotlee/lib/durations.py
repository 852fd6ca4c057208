"""Durations as a person says them and types them: a number and a unit (hours, days, weeks, months), stored as hours.

A month is taken as 30 days here (the form says so): a minimum gap or a window is a span of time, not a calendar
date, so a fixed length is what the rules can compare.
"""

from __future__ import annotations

from decimal import Decimal

HOURS_PER: dict[str, int] = {"hours": 1, "days": 24, "weeks": 168, "months": 720}
UNITS = tuple(HOURS_PER)
SINGULAR = {"hours": "hour", "days": "day", "weeks": "week", "months": "month"}


def to_hours(number: Decimal, unit: str) -> Decimal:
    """`number` `unit`s in hours; ValueError for a unit that is not one of UNITS."""
    if unit not in HOURS_PER:
        raise ValueError(f"must be one of {', '.join(UNITS)}")
    return number * HOURS_PER[unit]


def split(hours: Decimal) -> tuple[Decimal, str]:
    """Hours as the largest of weeks, days and hours that holds them exactly: 2016 -> (12, "weeks")."""
    for unit in ("weeks", "days"):
        count = hours / HOURS_PER[unit]
        if hours and count == count.to_integral_value():
            return Decimal(int(count)), unit
    return (Decimal(int(hours)) if hours == hours.to_integral_value() else hours.normalize()), "hours"


def text(hours: Decimal | str | float | int) -> str:
    """Hours in words: 2016 -> "12 weeks", 120 -> "5 days", 36 -> "36 hours", 24 -> "1 day"."""
    value = hours if isinstance(hours, Decimal) else Decimal(str(hours))
    count, unit = split(value)
    shown = format(count, "f")
    return f"{shown} {SINGULAR[unit] if count == 1 else unit}"
