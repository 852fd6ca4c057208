"""The one write path of the ledger.

`write()` opens the outermost transaction, locks the user's chain head, replays
an idempotent request if it has been seen, and otherwise runs the caller's
action, which checks its rules against the effective history and calls
`append()`. Two devices writing at once are serialised on the head: on
PostgreSQL by SELECT ... FOR UPDATE, on SQLite by the IMMEDIATE transaction.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from shotlee.ledger import sql
from shotlee.ledger.durability import group_commit
from shotlee.ledger.models import Entry, IdempotencyRecord, LedgerHead
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


def create_head(user: Any) -> LedgerHead:
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
        head.user_id,
        entry.seq,
        entry.hash,
        settings.LEDGER_KEY_ID,
        hashchain.sign_checkpoint(settings.LEDGER_KEY, head.user_id, entry.seq, entry.hash),
        now,
    )
    head.seq, head.head_hash = entry.seq, entry.hash
    sql.move_head(head, now)
    return entry


_thread_gate = threading.Lock()
_lock_files: dict[str, int] = {}


@contextmanager
def writer_queue() -> Iterator[None]:
    """On SQLite, queue ledger writers on a kernel file lock before BEGIN IMMEDIATE.

    SQLite has one writer at a time; a blocked BEGIN waits in SQLite's busy
    handler, which sleeps and polls (1 ms, 2 ms, 5 ms ...), so under load most
    of the time goes to sleeping. flock() wakes the next writer the moment the
    lock is free. The database lock stays the guarantee; this only orders the
    queue. (PostgreSQL queues on the row lock by itself.)
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    path = str(connection.settings_dict["NAME"]) + ".writers"
    with _thread_gate:  # flock is per open file, so threads of one process queue here first
        fd = _lock_files.get(path)
        if fd is None:
            fd = _lock_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _retryable(exc: OperationalError) -> bool:
    text = str(exc).lower()
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return "locked" in text or "busy" in text or code in ("40001", "40P01")


def write(
    user: Any,
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
    for attempt in range(ATTEMPTS):
        try:
            with group_commit(), writer_queue(), transaction.atomic(durable=True):
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


CORRECTABLE = ("dose", "side_effect", "metric")


class CorrectionRefused(Exception):
    """The target cannot be corrected (already corrected or voided, or not a correctable record)."""


def correctable(user: Any, target_uid: uuid.UUID) -> Entry:
    """The user's entry that a void or correction may target; DoesNotExist (a 404) for anything else's."""
    target = Entry.objects.for_user(user).filter(uid=target_uid).first()
    if target is None:
        raise Entry.DoesNotExist
    if target.kind not in CORRECTABLE:
        raise CorrectionRefused(f"entry #{target.seq} ({target.get_kind_display().lower()}) cannot be corrected")
    later = Entry.objects.for_user(user).filter(target_seq=target.seq).first()
    if later is not None:
        raise CorrectionRefused(f"entry #{target.seq} was already corrected by #{later.seq}; correct that one instead")
    return target


def void(head: LedgerHead, target: Entry, reason: str) -> Entry:
    """ "Entered in error": a record that takes the target out of the effective view; the target stays."""
    return append(
        head,
        kind="void",
        occurred_at=timezone.now(),
        subject=target.subject,
        compound=target.compound,
        target_seq=target.seq,
        data={"reason": reason},
    )
