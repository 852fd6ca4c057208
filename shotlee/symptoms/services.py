"""Side effects: ledger records like doses, with a 0-10 severity and an optional end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from shotlee.doses.services import entry_body, record_entry
from shotlee.ledger import services as ledger
from shotlee.ledger.models import Entry, Kind
from shotlee.lib.errors import InvalidInput
from shotlee.protocols.models import Protocol

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


@dataclass
class SideEffectInput:
    symptom: str
    severity: int
    started_at: datetime
    ended_at: datetime | None = None
    protocol: Protocol | None = None
    dose: Entry | None = None
    site: str = ""
    note: str = ""
    uid: uuid.UUID | None = None


def _time(value: Any, field: str, errors: dict[str, str]) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        errors[field] = "must be a date and time with a UTC offset"
        return None
    if value > timezone.now() + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS):
        errors[field] = "is in the future"
        return None
    return value.astimezone(UTC)


def build_side_effect(user: Any, values: dict[str, Any], defaults: dict[str, Any] | None = None) -> SideEffectInput:
    """Validate a side effect (new or corrected); InvalidInput names each bad field."""
    defaults = defaults or {}
    errors: dict[str, str] = {}
    merged = {**defaults, **{k: v for k, v in values.items() if v is not None}}
    symptom = merged.get("symptom")
    if not isinstance(symptom, str) or not symptom.strip():
        errors["symptom"] = "say what you felt, e.g. headache"
        symptom = ""
    elif len(symptom.strip()) > 80:
        errors["symptom"] = "must be at most 80 characters"
    severity = merged.get("severity")
    if isinstance(severity, str) and severity.strip().isdigit():
        severity = int(severity)
    if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 10:
        errors["severity"] = "must be a whole number from 0 (none) to 10 (worst imaginable)"
    started_at = _time(merged.get("started_at"), "started_at", errors) if merged.get("started_at") else timezone.now()
    ended_at = _time(merged.get("ended_at"), "ended_at", errors)
    if started_at and ended_at and ended_at < started_at:
        errors["ended_at"] = "is before the start"
    protocol = None
    if merged.get("protocol"):
        protocol = Protocol.objects.for_user(user).filter(uid=merged["protocol"]).first()
        if protocol is None:
            raise Protocol.DoesNotExist
    dose = None
    if merged.get("dose"):
        dose = Entry.objects.for_user(user).filter(uid=merged["dose"], kind=Kind.DOSE).first()
        if dose is None:
            raise Entry.DoesNotExist
        if protocol is None and dose.subject:
            protocol = Protocol.objects.for_user(user).filter(uid=dose.subject).first()
    site = merged.get("site") or ""
    note = merged.get("note") or ""
    if not isinstance(site, str) or len(site) > 60:
        errors["site"] = "must be at most 60 characters"
    if not isinstance(note, str) or len(note) > 2000:
        errors["note"] = "must be at most 2000 characters"
    if errors:
        raise InvalidInput(errors)
    return SideEffectInput(
        symptom=symptom.strip(),
        severity=severity,
        started_at=started_at,
        ended_at=ended_at,
        protocol=protocol,
        dose=dose,
        site=site.strip(),
        note=note.strip(),
        uid=merged.get("client_entry_id"),
    )


def _append(head: Any, effect: SideEffectInput, target: Entry | None = None, reason: str = "") -> Entry:
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
        kind=Kind.SIDE_EFFECT,
        occurred_at=effect.started_at,
        uid=effect.uid,
        subject=effect.protocol.uid if effect.protocol else None,
        compound=effect.symptom.casefold()[:120],
        target_seq=target.seq if target is not None else None,
        data=data,
    )


def record_side_effect(user: Any, effect: SideEffectInput, **write_options: Any) -> ledger.Outcome:
    return record_entry(user, effect.uid, lambda head: _append(head, effect), **write_options)


def correct_side_effect(
    user: Any, target_uid: uuid.UUID, values: dict[str, Any], reason: str, **write_options: Any
) -> ledger.Outcome:
    """Supersede a side effect with corrected values, e.g. the end of a symptom that was ongoing."""

    def action(head: Any) -> ledger.Outcome:
        target = ledger.correctable(user, target_uid)
        data = target.data
        defaults = {
            "symptom": data["symptom"],
            "severity": data["severity"],
            "started_at": target.occurred_at,
            "ended_at": datetime.fromisoformat(data["ended_at"].replace("Z", "+00:00"))
            if data.get("ended_at")
            else None,
            "protocol": target.subject,
            "dose": data.get("dose"),
            "site": data.get("site", ""),
            "note": data.get("note", ""),
        }
        effect = build_side_effect(user, values, defaults)
        return ledger.Outcome(201, entry_body(_append(head, effect, target, reason)))

    return ledger.write(user, action, **write_options)


def side_effects(
    user: Any,
    *,
    protocol: Protocol | None = None,
    symptom: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
):
    rows = Entry.objects.for_user(user).filter(kind=Kind.SIDE_EFFECT).effective()
    if protocol is not None:
        rows = rows.filter(subject=protocol.uid)
    if symptom:
        rows = rows.filter(compound=symptom.strip().casefold()[:120])
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    if until is not None:
        rows = rows.filter(occurred_at__lte=until)
    return rows.order_by("-occurred_at", "-seq")


def days_since_last_dose(user: Any, effect: Entry) -> int | None:
    """Whole days from the last effective dose (of the same protocol when linked) to the symptom's start."""
    doses = Entry.objects.for_user(user).doses().effective().filter(occurred_at__lte=effect.occurred_at)
    if effect.subject:
        doses = doses.filter(subject=effect.subject)
    last = doses.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    return None if last is None else (effect.occurred_at - last).days
