"""How doses leave the app: CSV columns and a FHIR R4 MedicationAdministration (registered in apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlee.ledger.kinds import FhirContext
from shotlee.ledger.models import Entry
from shotlee.lib import hashchain
from shotlee.lib.units import from_micro

COLUMNS = ("protocol", "compound", "amount", "unit", "route", "site", "note", "acknowledged_warnings")

# UCUM codes of the dose units that have one; "units" (of a preparation) has none.
UCUM = {"mg": "mg", "mcg": "ug", "mL": "mL", "IU": "[IU]"}


def csv_row(entry: Entry, preferences: Mapping[str, str]) -> list[Any]:
    data = entry.data
    return [
        str(entry.subject or ""),
        data.get("compound_name") or entry.compound,
        hashchain.format_decimal(from_micro(entry.amount_micro or 0)),
        entry.unit,
        data.get("route", ""),
        data.get("site", ""),
        data.get("note", ""),
        " ".join(w["code"] for w in data.get("acknowledged", [])),
    ]


def fhir(entry: Entry, context: FhirContext) -> dict[str, Any]:
    """A MedicationAdministration; a dose voided or replaced by a correction is `entered-in-error`."""
    data = entry.data
    dose: dict[str, Any] = {"value": float(from_micro(entry.amount_micro or 0)), "unit": entry.unit}
    if entry.unit in UCUM:
        dose |= {"system": "http://unitsofmeasure.org", "code": UCUM[entry.unit]}
    dosage: dict[str, Any] = {"dose": dose}
    if data.get("route"):
        dosage["route"] = {"text": data["route"]}
    if data.get("site"):
        dosage["site"] = {"text": data["site"]}
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": str(entry.uid),
        "status": "entered-in-error" if context.replaced_by is not None else "completed",
        "medicationCodeableConcept": {"text": data.get("compound_name") or entry.compound},
        "subject": {"reference": context.patient},
        "effectiveDateTime": hashchain.format_time(entry.occurred_at),
        "dosage": dosage,
    }
    if data.get("note"):
        resource["note"] = [{"text": data["note"]}]
    return resource
