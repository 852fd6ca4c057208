"""Seeding chart histories quickly: doses and readings appended in one ledger write (the rules are not the subject
of these tests; tests/test_rules_*.py cover them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from shotlee.ledger import services as ledger
from shotlee.lib.units import to_micro
from shotlee.protocols.models import DOSE


def seed_doses(user: Any, protocol_id: str, times: list[datetime], amount: str = "100", unit: str = "mg") -> None:
    def action(head: Any) -> ledger.Outcome:
        for at in times:
            ledger.append(
                head,
                kind=DOSE,
                occurred_at=at,
                subject=uuid.UUID(protocol_id),
                compound="seeded",
                amount_micro=to_micro(Decimal(amount)),
                unit=unit,
                data={"compound_name": "Seeded", "route": "", "site": "", "acknowledged": []},
            )
        return ledger.Outcome(201, {})

    ledger.write(user, action)


def seed_readings(user: Any, key: str, name: str, unit: str, times: list[datetime], value: str = "80") -> None:
    def action(head: Any) -> ledger.Outcome:
        for at in times:
            ledger.append(
                head,
                kind="metric",
                occurred_at=at,
                compound=key,
                amount_micro=to_micro(Decimal(value)),
                unit=unit,
                data={
                    "type": key,
                    "name": name,
                    "value": value,
                    "value2": None,
                    "unit": unit,
                    "entered": {},
                    "warnings": [],
                    "note": "",
                    "lab": False,
                    "since_last_dose": [],
                },
            )
        return ledger.Outcome(201, {})

    ledger.write(user, action)
