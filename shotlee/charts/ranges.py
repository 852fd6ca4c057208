"""The ranges a chart can show, and times as the charts carry them (seconds since 1970, UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta

RANGES: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365, "all": None}
RANGE_LABELS = {"7d": "7 days", "30d": "30 days", "90d": "90 days", "1y": "1 year", "all": "All"}


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def window(range_key: str, now: datetime) -> datetime | None:
    """Where a range starts (None for all of it)."""
    days = RANGES[range_key]
    return None if days is None else now - timedelta(days=days)
