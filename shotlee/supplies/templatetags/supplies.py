"""`{% load supplies %}{% supply_alerts %}`: the dashboard's supply panel (what is left, low supply, expiry)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from shotlee.ledger import memo
from shotlee.supplies import services
from shotlee.supplies.models import Supply

register = template.Library()


@register.inclusion_tag("supplies/_alerts.html", takes_context=True)
def supply_alerts(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"rows": []}
    tz = request.profile.tz

    def build() -> list[Any]:
        items = list(Supply.objects.for_user(user).in_use()[:20])
        return services.standings(user, items, tz=tz, today=services.today_in(tz))

    head = context.get("ledger_head") or memo.head_of(user)  # every change to a supply is a ledger record
    return {"rows": memo.remembered(user, head, timezone.now(), ("supplies", str(tz)), build)}
