from __future__ import annotations

from datetime import UTC, datetime

from django import template

register = template.Library()


@register.filter
def from_epoch(seconds: float) -> datetime:
    """Seconds since 1970 (the charts' times) as an aware datetime; the `date` filter shows it in the person's zone."""
    return datetime.fromtimestamp(float(seconds), UTC)
