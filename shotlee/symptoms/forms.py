"""Side-effect input: `build_side_effect` validates it for the API and the pages; the page forms read what a
person types."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.ledger.models import Entry
from shotlee.lib.errors import InvalidInput
from shotlee.lib.inputs import record_time, text_problems
from shotlee.protocols.models import DOSE, Protocol
from shotlee.web.forms import LocalDateTimeField, PageForm


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
    try:
        return record_time(value, latest=timezone.now() + timedelta(seconds=settings.FUTURE_ALLOWANCE_SECONDS))
    except ValueError as exc:
        errors[field] = str(exc)
        return None


def build_side_effect(user: User, values: dict[str, Any], defaults: dict[str, Any] | None = None) -> SideEffectInput:
    """Validate a side effect (new or corrected); InvalidInput names each bad field."""
    defaults = defaults or {}
    errors: dict[str, str] = text_problems(values)
    merged = {**defaults, **{k: v for k, v in values.items() if v is not None}}
    symptom = merged.get("symptom")
    if "symptom" in errors:
        symptom = ""
    elif not isinstance(symptom, str) or not symptom.strip():
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
        dose = Entry.objects.for_user(user).of_kind(DOSE).filter(uid=merged["dose"]).first()
        if dose is None:
            raise Entry.DoesNotExist
        if protocol is None and dose.subject:
            protocol = Protocol.objects.for_user(user).filter(uid=dose.subject).first()
    site = merged.get("site") or ""
    note = merged.get("note") or ""
    if "site" not in errors and (not isinstance(site, str) or len(site) > 60):
        errors["site"] = "must be at most 60 characters"
    if "note" not in errors and (not isinstance(note, str) or len(note) > 2000):
        errors["note"] = "must be at most 2000 characters"
    if errors:
        raise InvalidInput(errors)
    assert isinstance(severity, int) and started_at is not None
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


def defaults_of(target: Entry) -> dict[str, Any]:
    """A recorded side effect's values: what a correction keeps unless it says otherwise."""
    data = target.data
    return {
        "symptom": data["symptom"],
        "severity": data["severity"],
        "started_at": target.occurred_at,
        "ended_at": datetime.fromisoformat(data["ended_at"].replace("Z", "+00:00")) if data.get("ended_at") else None,
        "protocol": target.subject,
        "dose": data.get("dose"),
        "site": data.get("site", ""),
        "note": data.get("note", ""),
    }


class SideEffectForm(PageForm):
    """The "Log a side effect" page: a quick pick or free text, a 0-10 severity, the times."""

    client_entry_id = forms.UUIDField(required=False)
    symptom = forms.CharField(label="What did you notice?", required=False, max_length=80)
    other = forms.CharField(label="Something else", required=False, max_length=80)
    severity = forms.CharField(label="How bad, from 0 to 10?", required=False, max_length=4)
    started_at = LocalDateTimeField(label="Started", required=False)
    ended_at = LocalDateTimeField(label="Ended", required=False)
    site = forms.CharField(label="Injection site or zone", required=False, max_length=60)
    link_dose = forms.BooleanField(label="Link it to my last dose of this protocol", required=False)
    note = forms.CharField(label="Note", required=False, max_length=2000)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "symptom": data["other"] or data["symptom"],
            "severity": data["severity"],
            "started_at": data["started_at"],
            "ended_at": data["ended_at"],
            "site": data["site"],
            "note": data["note"],
            "client_entry_id": data["client_entry_id"],
        }


class SideEffectCorrectionForm(PageForm):
    """Corrected values of a side effect: usually its end, or the severity."""

    ended_at = LocalDateTimeField(label="Ended", required=False)
    severity = forms.CharField(label="Severity (0–10)", required=False, max_length=4)

    def changes(self) -> dict[str, Any]:
        return {"ended_at": self.cleaned_data["ended_at"], "severity": self.cleaned_data["severity"] or None}


def correction_initial(target: Entry, tz: tzinfo) -> dict[str, Any]:
    data = target.data
    ongoing = not data.get("ended_at")
    return {"action": "correct" if ongoing else "void", "ended_at": "", "severity": str(data["severity"])}
