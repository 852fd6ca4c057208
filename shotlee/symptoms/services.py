"""Side effects: ledger records like doses, with a 0-10 severity and an optional end."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.contrib.auth.models import User

from shotlee.ledger import records
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, EntryQuerySet, LedgerHead
from shotlee.protocols.models import DOSE, Protocol
from shotlee.symptoms.forms import SideEffectInput, build_side_effect, defaults_of

SIDE_EFFECT = "side_effect"
SEVERITY_ANCHORS = {
    0: "none",
    1: "barely noticeable",
    2: "mild",
    3: "mild, a little bothersome",
    4: "moderate",
    5: "moderate, hard to ignore",
    6: "moderately severe",
    7: "severe, limits daily activities",
    8: "very severe",
    9: "very severe, hard to bear",
    10: "worst imaginable",
}
SITE_REACTIONS = ("injection pain", "lump", "redness", "bruising")


def _append(head: LedgerHead, effect: SideEffectInput, target: Entry | None = None, reason: str = "") -> Entry:
    data: dict[str, Any] = {
        "symptom": effect.symptom,
        "severity": effect.severity,
        "ended_at": effect.ended_at,
        "dose": str(effect.dose.uid) if effect.dose else None,
        "site": effect.site,
        "note": effect.note,
    }
    if target is not None:
        data["reason"] = reason
    return ledger.append(
        head,
        kind=SIDE_EFFECT,
        occurred_at=effect.started_at,
        uid=effect.uid,
        subject=effect.protocol.uid if effect.protocol else None,
        compound=effect.symptom.casefold()[:120],
        target_seq=target.seq if target is not None else None,
        data=data,
    )


def append_side_effect(head: LedgerHead, effect: SideEffectInput) -> Entry:
    """Inside a write (an import): append a validated side effect."""
    return _append(head, effect)


def record_side_effect(user: User, effect: SideEffectInput, **write_options: Any) -> ledger.Outcome:
    return records.record(user, effect.uid, lambda head: _append(head, effect), **write_options)


def correct_side_effect(
    user: User,
    target_uid: uuid.UUID,
    values: dict[str, Any],
    reason: str,
    *,
    tz: tzinfo = UTC,
    **write_options: Any,
) -> ledger.Outcome:
    """Supersede a side effect with corrected values, e.g. the end of a symptom that was ongoing."""

    def replace(head: LedgerHead, target: Entry) -> Entry:
        return _append(head, build_side_effect(user, values, defaults_of(target)), target, reason)

    return records.supersede(user, target_uid, SIDE_EFFECT, replace, **write_options)


def side_effects(
    user: User,
    *,
    protocol: Protocol | None = None,
    symptom: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> EntryQuerySet:
    rows = Entry.objects.for_user(user).of_kind(SIDE_EFFECT).effective()
    if protocol is not None:
        rows = rows.filter(subject=protocol.uid)
    if symptom:
        rows = rows.filter(compound=symptom.strip().casefold()[:120])
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.order_by("-occurred_at", "-seq")


def days_since_last_dose(user: User, effect: Entry) -> int | None:
    """Whole days from the last effective dose (of the same protocol when linked) to the symptom's start."""
    doses = Entry.objects.for_user(user).of_kind(DOSE).effective().filter(occurred_at__lte=effect.occurred_at)
    if effect.subject:
        doses = doses.filter(subject=effect.subject)
    last = doses.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    return None if last is None else (effect.occurred_at - last).days


def side_effect_body(entry: Entry) -> dict[str, Any]:
    return {"protocol": str(entry.subject) if entry.subject else None, **entry.data}


def side_effect_summary(entry: Entry, preferences: Mapping[str, str]) -> str:
    data = entry.data
    return f"Side effect: {data['symptom']}, severity {data['severity']}/10"
