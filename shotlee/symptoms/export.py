"""How side effects leave the app: CSV columns and a FHIR R4 AdverseEvent (registered in apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlee.ledger.kinds import FhirContext
from shotlee.ledger.models import Entry
from shotlee.lib import hashchain

COLUMNS = ("protocol", "symptom", "severity", "ended_at", "site", "note")
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"


def severity_band(severity: int) -> str:
    """FHIR's three severities from the app's own 0-10 anchors: 1-3 "mild…", 4-6 "moderate…", 7-10 "severe…"."""
    if severity <= 0:
        return ""
    return "mild" if severity <= 3 else "moderate" if severity <= 6 else "severe"


def csv_row(entry: Entry, preferences: Mapping[str, str]) -> list[Any]:
    data = entry.data
    return [
        str(entry.subject or ""),
        data["symptom"],
        data["severity"],
        data.get("ended_at") or "",
        data.get("site", ""),
        data.get("note", ""),
    ]


def fhir(entry: Entry, context: FhirContext) -> dict[str, Any] | None:
    """An AdverseEvent. R4's AdverseEvent has no status, so a voided or corrected one is left out (its correction,
    if any, is exported instead)."""
    if context.replaced_by is not None:
        return None
    data = entry.data
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": str(entry.uid),
        "actuality": "actual",
        "subject": {"reference": context.patient},
        "event": {"text": data["symptom"]},
        "date": hashchain.format_time(entry.occurred_at),
    }
    band = severity_band(int(data["severity"]))
    severity: dict[str, Any] = {"text": f"{data['severity']} out of 10"}
    if band:
        severity["coding"] = [{"system": SEVERITY_SYSTEM, "code": band}]
    resource["severity"] = severity
    return resource
