"""What a protocol's guide says about where the person stands: the next titration step as the label words it, and
the label's missed-dose advice once a dose is late enough for it. Shown, never applied: the app recommends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shotlee.guides.models import Guide
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import Status

# Without a number in the label, the advice is shown once a dose is this late.
LATE = timedelta(hours=24)


@dataclass
class Guidance:
    guide: Guide | None
    next_step_dose: Decimal | None = None  # the next titration step, when the ladder has one
    next_step_number: int | None = None  # 1-based, as a person counts steps
    next_step_optional: bool = False
    next_step_label: str = ""  # the label's words for an optional step ("... if needed")
    missed_dose: dict[str, Any] | None = None  # the label's advice {text, source (citation), max_gap_hours}
    late_by: timedelta | None = None


def guide_of(protocol: Protocol) -> Guide | None:
    slug = protocol.current.guide
    return Guide.objects.filter(slug=slug).first() if slug else None


def guidance(protocol: Protocol, status: Status, now: datetime | None = None) -> Guidance:
    now = now or timezone.now()
    current = protocol.current
    guide = guide_of(protocol)
    found = Guidance(guide)
    plan = current.plan()
    if plan is not None and status.next_step is not None:
        step = current.ladder[status.next_step]
        found.next_step_dose = plan.ladder[status.next_step].dose
        found.next_step_number = status.next_step + 1
        found.next_step_optional = bool(step.get("optional"))
        found.next_step_label = step.get("label_text", "")
    regimen = guide.regimen(current.regimen) if guide is not None and current.regimen else None
    advice = regimen.get("missed_dose") if regimen else None
    if advice and status.next_due is not None and status.last is not None and not status.complete:
        late_by = now - status.next_due
        allowed = timedelta(hours=advice["max_gap_hours"]) if advice.get("max_gap_hours") is not None else LATE
        if late_by > allowed:
            source = next((s for s in guide.data["sources"] if s["key"] == advice["source"]), None)  # type: ignore[union-attr]
            found.missed_dose = {**advice, "source": source}
            found.late_by = late_by
    return found
