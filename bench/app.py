"""Everything the bench takes from Shotlee's own code, in one place.

The rest of the bench talks to Shotlee through HTTP, URLs, the settings
module, management commands and the functions below; when a refactor renames
or moves something in shotlee/, this is the only module to change. Import it
only after django.setup() (the child process does that first).

Shotlee imports used (the list the bench depends on):

- shotlee.accounts.services: register_user, issue_token
- shotlee.protocols.services: create_protocol; shotlee.protocols.settings_input: clean_settings
- shotlee.protocols.models: Protocol
- shotlee.doses.forms: DoseInput
- shotlee.doses.services: record_dose
- shotlee.ledger.models: Entry, Checkpoint, LedgerHead
- shotlee.protocols.models: DOSE (the record kind of doses)
- shotlee.ledger.verify: _VERIFIED (the memo of verified rows, cleared for "first view" timings)
- shotlee.ledger.memo: forget (the memo of dashboard and chart data, cleared for the charts' "first view" rows)
- shotlee.lib.hashchain: canonical_text, format_decimal, sign_checkpoint
- shotlee.lib.classes: compound_key
- shotlee.lib.units: Unit, to_micro

and by name, not import: the management command verify_ledger (here), the
settings module shotlee.settings and the WSGI application
shotlee.wsgi:application (bench/engine.py, which needs them before Django
starts), and the URLs the scenarios request.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command

from shotlee.accounts.services import issue_token, register_user
from shotlee.doses.forms import DoseInput
from shotlee.doses.services import record_dose
from shotlee.ledger import verify as _verify
from shotlee.ledger.models import Checkpoint, Entry, LedgerHead
from shotlee.lib import hashchain
from shotlee.lib.classes import compound_key
from shotlee.lib.units import Unit, to_micro
from shotlee.protocols.models import DOSE, Protocol
from shotlee.protocols.services import create_protocol
from shotlee.protocols.settings_input import clean_settings

__all__ = [
    "Checkpoint",
    "Entry",
    "LedgerHead",
    "chain_rows",
    "forget_chart_memo",
    "forget_verified",
    "head_of",
    "new_user",
    "record",
    "set_head",
    "start_protocol",
    "token_for",
    "verify_ledger",
]


def new_user(username: str, password: str) -> Any:
    return register_user(username, password)


def token_for(user: Any) -> str:
    """A new API bearer token for `user`."""
    return issue_token(user)


def start_protocol(user: Any, data: dict[str, Any]) -> Any:
    """Create a protocol from API-shaped input (as POST /api/v1/protocols takes it); returns the Protocol row."""
    outcome = create_protocol(user, clean_settings(dict(data), today=datetime.now(UTC).date()))
    return Protocol.objects.get(uid=outcome.body["id"])


def record(user: Any, protocol: Any, amount: Decimal, unit: str, at: datetime) -> None:
    """record_dose(): the service the API and the form call (rules, chain, commit); fails unless it answers 201."""
    outcome = record_dose(user, DoseInput(amount=amount, unit=Unit(unit), occurred_at=at, protocol=protocol))
    if outcome.status != 201:
        raise AssertionError(f"record_dose answered {outcome.status}: {outcome.body}")


def head_of(user: Any) -> tuple[Any, int, str]:
    """The user's chain head, locked (call inside transaction.atomic): (row, seq, hash)."""
    head = LedgerHead.objects.select_for_update().get(user=user)
    return head, head.seq, head.head_hash


def set_head(head: Any, seq: int, head_hash: str) -> None:
    LedgerHead.objects.filter(pk=head.pk).update(seq=seq, head_hash=head_hash)


def dose_payloads(protocol: Any, spec: dict[str, Any]) -> list[str]:
    """The payload record_dose writes for a dose of the protocol's own amount, one per site in rotation."""
    return [
        hashchain.canonical_text(
            {
                "amount": hashchain.format_decimal(Decimal(spec["dose"])),
                "compound_name": spec["name"],
                "route": spec["route"],
                "site": site,
                "note": "",
                "acknowledged": [],
                "protocol_version_seq": protocol.version_seq,
            }
        )
        for site in spec.get("sites") or [""]
    ]


def chain_rows(
    user: Any,
    protocol: Any,
    spec: dict[str, Any],
    times: Sequence[datetime],
    seq: int,
    prev: str,
) -> tuple[list[Any], list[Any], int, str]:
    """Dose entries at `times` (ascending) following seq/prev, with correct hashes and signed checkpoints.

    The payload is what record_dose writes for a dose of the protocol's own
    amount (sites in rotation, no warnings acknowledged). Returns the unsaved
    entries and checkpoints and the new head (seq, hash).
    """
    key = compound_key(spec["compound"])
    payloads = dose_payloads(protocol, spec)
    micro = to_micro(Decimal(spec["dose"]))
    entries, checkpoints = [], []
    for j, at in enumerate(times):
        seq += 1
        entry = Entry(
            user_id=user.pk,
            seq=seq,
            uid=uuid.uuid4(),
            kind=DOSE,
            occurred_at=at,
            recorded_at=at + timedelta(seconds=20),
            subject=protocol.uid,
            compound=key,
            amount_micro=micro,
            unit=spec["unit"],
            target_seq=None,
            payload=payloads[j % len(payloads)],
            prev_hash=prev,
        )
        entry.hash = entry.compute_hash()
        prev = entry.hash
        entries.append(entry)
        checkpoints.append(
            Checkpoint(
                user_id=user.pk,
                seq=seq,
                head_hash=entry.hash,
                key_id=settings.LEDGER_KEY_ID,
                signature=hashchain.sign_checkpoint(settings.LEDGER_KEY, user.pk, seq, entry.hash),
                created_at=entry.recorded_at,
            )
        )
    return entries, checkpoints, seq, prev


def verify_ledger(username: str | None = None) -> str:
    """`manage.py verify_ledger [--user NAME]`: raises CommandError when a chain does not verify."""
    out = io.StringIO()
    options = {"user": username} if username else {}
    call_command("verify_ledger", stdout=out, stderr=out, **options)
    return out.getvalue()


def forget_chart_memo() -> None:
    """Clear the worker's memo of dashboard and chart data (shotlee/ledger/memo.py): a view as the first after a write."""
    from shotlee.ledger import memo

    memo.forget()


def forget_verified() -> bool:
    """Clear the worker's memo of rows already verified (docs/ledger.md, Verify); False if there is none to clear."""
    memo = getattr(_verify, "_VERIFIED", None)
    if memo is None:
        return False
    memo.clear()
    return True
