"""The one write path of the ledger.

`write()` opens the outermost transaction, locks the user's chain head, replays
an idempotent request if it has been seen, and otherwise runs the caller's
action, which checks its rules against the effective history and calls
`append()`. Two devices writing at once are serialised on the head: on
PostgreSQL by SELECT ... FOR UPDATE, on SQLite by the IMMEDIATE transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from shotlee.ledger import guard, sql
from shotlee.ledger.durability import ledger_transaction
from shotlee.ledger.models import Checkpoint, Entry, IdempotencyRecord, LedgerHead
from shotlee.lib import hashchain

ATTEMPTS = 5


class IdempotencyMismatch(Exception):
    """The Idempotency-Key was used before with a different request."""


class LedgerBusy(Exception):
    """The chain stayed locked through every retry; the client should retry later (503)."""


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def create_head(user: User) -> LedgerHead:
    return LedgerHead.objects.create(user=user, seq=0, head_hash=hashchain.genesis(user.pk))


def append(
    head: LedgerHead,
    *,
    kind: str,
    occurred_at: datetime,
    data: dict[str, Any] | None = None,
    uid: uuid.UUID | None = None,
    subject: uuid.UUID | None = None,
    compound: str = "",
    amount_micro: int | None = None,
    unit: str = "",
    target_seq: int | None = None,
    now: datetime | None = None,
) -> Entry:
    """Append one record to the locked chain and move the head. Call only inside `write()`."""
    now = now or timezone.now()
    entry = Entry(
        user_id=head.user_id,
        seq=head.seq + 1,
        uid=uid or uuid.uuid4(),
        kind=kind,
        occurred_at=occurred_at,
        recorded_at=now,
        subject=subject,
        compound=compound,
        amount_micro=amount_micro,
        unit=unit,
        target_seq=target_seq,
        payload=hashchain.canonical_text(data or {}),
        prev_hash=head.head_hash,
    )
    entry.hash = entry.compute_hash()
    entry._data = json.loads(entry.payload)  # exactly what a later read returns (times as text)
    sql.insert(entry)
    sql.insert_checkpoint(
        Checkpoint(
            user_id=head.user_id,
            seq=entry.seq,
            head_hash=entry.hash,
            key_id=settings.LEDGER_KEY_ID,
            signature=hashchain.sign_checkpoint(settings.LEDGER_KEY, head.user_id, entry.seq, entry.hash),
            created_at=now,
        )
    )
    head.seq, head.head_hash = entry.seq, entry.hash
    sql.move_head(head, now)
    return entry


def _retryable(exc: OperationalError) -> bool:
    text = str(exc).lower()
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return "locked" in text or "busy" in text or code in ("40001", "40P01")


def write(
    user: User,
    action: Callable[[LedgerHead], Outcome],
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> Outcome:
    """Run `action` on the user's locked chain in one durable transaction.

    The outcome is stored under the idempotency key in the same transaction, so
    a retry after a lost response returns it instead of writing twice. Only
    successful writes are stored: a refusal (409, 422) is re-evaluated on retry.
    """
    guard.require_triggers()  # LedgerUnprotected once the append-only triggers are found missing
    for attempt in range(ATTEMPTS):
        try:
            with ledger_transaction():
                head = sql.lock_head(user.pk)
                if head is None:
                    raise LedgerHead.DoesNotExist
                if idempotency_key:
                    stored = IdempotencyRecord.objects.filter(user=user, key=idempotency_key).first()
                    if stored is not None:
                        if stored.fingerprint != fingerprint:
                            raise IdempotencyMismatch(idempotency_key)
                        return Outcome(stored.status, json.loads(stored.body), replayed=True)
                outcome = action(head)
                if idempotency_key and 200 <= outcome.status < 300:
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=idempotency_key,
                        fingerprint=fingerprint,
                        status=outcome.status,
                        body=json.dumps(outcome.body, sort_keys=True),
                    )
                return outcome
        except IntegrityError as exc:
            # Lost a race on UNIQUE(user, seq), (user, uid) or (user, key): read the state again.
            if attempt == ATTEMPTS - 1:
                raise LedgerBusy() from exc
        except OperationalError as exc:
            if not _retryable(exc) or attempt == ATTEMPTS - 1:
                raise LedgerBusy() from exc
        time.sleep(0.01 * (attempt + 1))
    raise LedgerBusy()
