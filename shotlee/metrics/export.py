"""How readings leave the app: CSV columns in the person's units and a FHIR R4 Observation (registered in apps.py).

LOINC codes only where one exists for exactly what is stored, each checked
against its LOINC name: mass-per-volume codes get the value in that unit
(testosterone in ng/dL, glucose in mg/dL), converted with lib.metrics' factors.
Glucose is coded as serum or plasma (2345-7): the app does not record the specimen.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shotlee.ledger.kinds import FhirContext
from shotlee.ledger.models import Entry
from shotlee.lib import hashchain
from shotlee.lib import metrics as lib
from shotlee.metrics.services import in_preferred

COLUMNS = ("type", "name", "value", "value2", "unit", "lab", "note")

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"


# metric key -> (LOINC code, LOINC long common name, the unit that code's value is in)
LOINC = {
    "weight": ("29463-7", "Body weight", "kg"),
    "resting_hr": ("8867-4", "Heart rate", "bpm"),
    "testosterone_total": ("2986-8", "Testosterone [Mass/volume] in Serum or Plasma", "ng/dL"),
    "psa": ("2857-1", "Prostate specific Ag [Mass/volume] in Serum or Plasma", "ng/mL"),
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
    "glucose": ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL"),
    "blood_pressure": ("85354-9", "Blood pressure panel with all children optional", "mmHg"),
}
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
VITAL_SIGNS = {"weight", "resting_hr", "blood_pressure", "body_fat", "waist"}

UCUM = {
    "kg": "kg", "lb": "[lb_av]", "cm": "cm", "in": "[in_i]", "%": "%", "mmHg": "mm[Hg]", "bpm": "/min",
    "mmol/L": "mmol/L", "mg/dL": "mg/dL", "nmol/L": "nmol/L", "ng/dL": "ng/dL", "pmol/L": "pmol/L",
    "pg/mL": "pg/mL", "ng/mL": "ng/mL", "U/L": "U/L", "mmol/mol": "mmol/mol",
}  # fmt: skip


def csv_row(entry: Entry, preferences: Mapping[str, str]) -> list[Any]:
    data = entry.data
    value, value2, unit = in_preferred(entry, dict(preferences))
    return [data["type"], data["name"], value, value2, unit, "yes" if data.get("lab") else "no", data.get("note", "")]


def _quantity(value: str, unit: str) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": float(Decimal(value)), "unit": unit}
    if unit in UCUM:
        quantity |= {"system": UCUM_SYSTEM, "code": UCUM[unit]}
    return quantity


def _code(code: str, display: str, text: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC_SYSTEM, "code": code, "display": display}], "text": text}


def fhir(entry: Entry, context: FhirContext) -> dict[str, Any]:
    """An Observation: `final`, `amended` for a correction, `entered-in-error` when voided or corrected later."""
    data = entry.data
    key = data["type"]
    spec = lib.BUILT_IN.get(key)
    loinc = LOINC.get(key)
    if context.replaced_by is not None:
        status = "entered-in-error"
    else:
        status = "amended" if entry.target_seq else "final"
    value, value2, unit = data["value"], data.get("value2"), data["unit"]
    if spec is not None and loinc is not None and loinc[2] != unit:  # the code's own unit
        unit = loinc[2]
        value = lib.display(lib.from_canonical(spec, Decimal(value), unit), spec, unit)
    category = "vital-signs" if key in VITAL_SIGNS else "laboratory" if data.get("lab") else ""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(entry.uid),
        "status": status,
        "code": _code(*loinc[:2], data["name"]) if loinc else {"text": data["name"]},
        "subject": {"reference": context.patient},
        "effectiveDateTime": hashchain.format_time(entry.occurred_at),
    }
    if category:
        resource["category"] = [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}]
    if key == "blood_pressure" and value2:
        resource["component"] = [
            {"code": _code(*SYSTOLIC, "Systolic"), "valueQuantity": _quantity(value, unit)},
            {"code": _code(*DIASTOLIC, "Diastolic"), "valueQuantity": _quantity(value2, unit)},
        ]
    else:
        resource["valueQuantity"] = _quantity(value, unit)
    if data.get("note"):
        resource["note"] = [{"text": data["note"]}]
    return resource
