from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone

from shotlee.charts import data

register = template.Library()


@register.filter
def from_epoch(seconds: float) -> datetime:
    """Seconds since 1970 (the charts' times) as an aware datetime; the `date` filter shows it in the person's zone."""
    return datetime.fromtimestamp(float(seconds), UTC)


@register.inclusion_tag("charts/_metric_chart.html", takes_context=True)
def metric_chart(context: dict[str, Any], key: str) -> dict[str, Any]:
    """A metric's chart with dose markers, in the person's preferred unit, its data in the page (no extra request).
    The list of readings below it on the metrics page is its text alternative."""
    request = context["request"]
    if not key:
        return {"key": ""}
    series = data.metric_series(request.user, key, "all", request.profile.preferred_units, timezone.now())
    return {"key": key, "series": series, "payload": {"items": [series]}}
