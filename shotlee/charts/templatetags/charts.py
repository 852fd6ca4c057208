from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone

from shotlee.charts import data
from shotlee.ledger import memo
from shotlee.lib.when import duration_hours

register = template.Library()

LISTED = 200  # the metrics page lists the latest 200 readings (shotlee/metrics/views.py)


@register.filter
def from_epoch(seconds: float) -> datetime:
    """Seconds since 1970 (the charts' times) as an aware datetime; the `date` filter shows it in the person's zone."""
    return datetime.fromtimestamp(float(seconds), UTC)


@register.filter
def readings(line: dict[str, Any]) -> list[dict[str, Any]]:
    """A metric line's drawn points as rows of the text alternative: each time with its value ("121/79" for a pair)."""
    points = line["points"]
    pairs = points["v2"] or [None] * len(points["t"])
    return [
        {"t": t, "text": _number(v) + ("" if v2 is None else "/" + _number(v2))}
        for t, v, v2 in zip(points["t"], points["v"], pairs, strict=True)
    ]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@register.filter
def hours(value: float | str | None) -> str:
    """A half-life as a person reads it: "192 h (8 days)", "8.5 h" (lib.when.duration_hours)."""
    if value is None or value == "":
        return ""
    return duration_hours(float(value))


@register.inclusion_tag("charts/_metric_chart.html", takes_context=True)
def metric_chart(context: dict[str, Any], key: str) -> dict[str, Any]:
    """A metric's chart with dose markers, in the person's preferred unit, its data in the page (no extra request).
    The list of readings below it on the metrics page is its text alternative."""
    request = context["request"]
    if not key:
        return {"key": ""}
    user, prefs, now = request.user, request.profile.preferred_units, timezone.now()
    series = memo.remembered(  # as the API's metric series: per ledger head and minute (ledger/memo.py)
        user,
        memo.head_of(user),
        now,
        ("metric chart", key, tuple(sorted(prefs.items()))),
        lambda: data.metric_series(user, key, "all", prefs, now),
    )
    # The chart says times in the person's zone, as the list of readings under it does.
    zone = timezone.get_current_timezone()
    series = series | {"time_zone": getattr(zone, "key", str(zone))}
    return {"key": key, "series": series, "payload": {"items": [series]}, "listed": LISTED}
