"""How protocol versions leave the app: CSV columns (no FHIR resource; registered in apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shotlee.ledger.models import Entry
from shotlee.protocols.models import ProtocolSettings

COLUMNS = ("protocol", "action", "name", "compound", "dose", "unit", "route", "schedule", "guide", "guide_version")


def csv_row(entry: Entry, preferences: Mapping[str, str]) -> list[Any]:
    data = entry.data
    settings = data.get("settings") or {}
    schedule = ProtocolSettings.from_dict(settings).schedule_text if settings.get("unit") else ""
    return [
        str(entry.subject or ""),
        data.get("action", ""),
        settings.get("name", ""),
        settings.get("compound", ""),
        settings.get("dose", ""),
        settings.get("unit", ""),
        settings.get("route", ""),
        schedule,
        settings.get("guide") or "",
        settings.get("guide_version") or "",
    ]
