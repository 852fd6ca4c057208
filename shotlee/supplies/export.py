"""How supply events leave the app: CSV columns (registered in apps.py). No FHIR resource: R4 has no plain
"inventory event" a clinician's system would read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlee.ledger.models import Entry

COLUMNS = ("supply", "event", "compound", "form", "amount", "unit", "detail")


def csv_row(entry: Entry, preferences: Mapping[str, str]) -> list[Any]:
    data = entry.data
    detail = data.get("calculation") or data.get("reason") or data.get("lot") or ""
    amount = data.get("quantity") or data.get("lost") or ""
    return [
        str(entry.subject or ""),
        data.get("event", ""),
        data.get("name", ""),
        data.get("form", ""),
        amount,
        entry.unit,
        detail,
    ]
