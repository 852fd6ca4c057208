"""Wall-clock times typed by a person, read in their time zone."""

from __future__ import annotations

from datetime import datetime, tzinfo

from shotlee.lib.inputs import utc_time


def parse_local(text: str, tz: tzinfo) -> datetime:
    """Read "2026-03-29T01:30" as a time in `tz`; refuse times a clock change skips.

    An ambiguous time (the repeated hour when clocks go back) is read as the
    first occurrence, as most people mean it.
    """
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("must be a date and time like 2026-01-31T08:00") from None
    if naive.tzinfo is not None:
        return naive
    aware = naive.replace(tzinfo=tz, fold=0)
    round_trip = utc_time(aware).astimezone(tz).replace(tzinfo=None)  # utc_time: ValueError when out of range
    if round_trip != naive:
        raise ValueError(f"{naive:%H:%M} on {naive:%d %b %Y} does not exist in {tz} (the clocks went forward)")
    return aware


def to_local_input(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
