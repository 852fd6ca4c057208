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
