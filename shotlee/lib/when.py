"""How far away a time is, in the words a person uses: "in 3 days", "2 h overdue"."""

from __future__ import annotations

from datetime import datetime


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    if days < 60:
        return f"{days} days"
    return f"{days // 30} months"


def relative(moment: datetime, now: datetime) -> str:
    """ "in 3 days" for a time ahead, "2 h overdue" for one past."""
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 60:
        return "due now"
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(-seconds)} overdue"


def duration_hours(h: float) -> str:
    """A span in hours as a person reads it: "192 h (8 days)", "8.5 h"; days are added from 48 hours on."""
    text = f"{_one(h)} h"
    if h >= 48:
        days = h / 24
        text += f" ({_one(days)} day{'' if days == 1 else 's'})"
    return text


def _one(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
