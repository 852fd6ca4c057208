"""Server-rendered SVG: the adherence calendar (a heat map of planned, taken and missed doses)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from shotlee.lib.series import Adherence

CELL, GAP, WEEKS = 12, 3, 26
LEFT, TOP = 28, 16


def _state(planned: int, taken: int, missed: int, on_time: int) -> tuple[str, str]:
    if planned == 0:
        return ("extra", f"{taken} taken, none planned") if taken else ("none", "nothing planned")
    if missed == planned:
        return "missed", f"{planned} planned, missed"
    if missed:
        return "partial", f"{planned} planned, {missed} missed, {taken} taken"
    if on_time == planned:
        return "on-time", f"{planned} planned, taken on time"
    return "late", f"{planned} planned, taken but not on time"


def _mark(state: str, x: int, y: int) -> str:
    """A mark that tells a missed day (a cross) and a partly missed one (one stroke) without its colour."""
    a, b = 3, CELL - 3
    back = f"M{x + b} {y + a}L{x + a} {y + b}"
    if state == "missed":
        return f'<path class="heat-mark missed" d="M{x + a} {y + a}L{x + b} {y + b}{back}" aria-hidden="true"/>'
    if state == "partial":
        return f'<path class="heat-mark partial" d="{back}" aria-hidden="true"/>'
    return ""


def heat_map(found: Adherence, now: datetime, tz: tzinfo, weeks: int = WEEKS) -> SafeString:
    """The last `weeks` weeks, a column per week (Monday at the top); each day's state in its class and its title."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    width, height = LEFT + weeks * (CELL + GAP), TOP + 7 * (CELL + GAP)
    parts = [
        f'<svg class="heat-map" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="heat-title"><title id="heat-title">Planned, taken and missed doses of the last {weeks} '
        "weeks, one square per day</title>"
    ]
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text x="0" y="{TOP + row * (CELL + GAP) + CELL - 2}" class="heat-label">{name}</text>')
    month = None
    for week in range(weeks):
        for weekday in range(7):
            day: date = first + timedelta(days=7 * week + weekday)
            if day > today:
                continue
            if weekday == 0 and day.month != month:
                month = day.month
                parts.append(f'<text x="{LEFT + week * (CELL + GAP)}" y="10" class="heat-label">{day:%b}</text>')
            counts = found.days.get(day)
            state, words = _state(
                *(counts.planned, counts.taken, counts.missed, counts.on_time) if counts else (0, 0, 0, 0)
            )
            x, y = LEFT + week * (CELL + GAP), TOP + weekday * (CELL + GAP)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" class="heat {state}">'
                f"<title>{escape(day.strftime('%a %d %b %Y'))}: {escape(words)}</title></rect>"
            )
            parts.append(_mark(state, x, y))
    parts.append("</svg>")
    # Safe: every value put in above is a number or escaped.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B703 B308
