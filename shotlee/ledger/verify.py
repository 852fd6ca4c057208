"""Recompute a user's chain and report the first bad seq.

Reads the tables with plain SQL and parses every value itself, so that it
still runs and reports on a damaged database: edited rows, garbage values,
missing triggers. The checkpoints are signed with a key that is not in the
database, so a tail cut off or a chain recomputed without the key shows up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from shotlee.lib import hashchain

COLUMNS = "seq, uid, kind, occurred_at, recorded_at, subject, compound, amount_micro, unit, target_seq, payload, prev_hash, hash"
CHUNK = 5000


@dataclass
class Verdict:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _record(user_id: int, row: tuple[Any, ...]) -> dict[str, Any]:
    seq, uid, kind, occurred_at, recorded_at, subject, compound, amount_micro, unit, target_seq, payload, prev_hash = (
        row[:12]
    )
    return {
        "v": 1,
        "user": user_id,
        "seq": int(seq),
        "uid": str(uuid.UUID(str(uid))),
        "kind": kind,
        "occurred_at": _time(occurred_at),
        "recorded_at": _time(recorded_at),
        "subject": str(uuid.UUID(str(subject))) if subject else None,
        "compound": compound,
        "amount_micro": None if amount_micro is None else int(amount_micro),
        "unit": unit,
        "target_seq": None if target_seq is None else int(target_seq),
        "payload": payload,
        "prev_hash": prev_hash,
    }


def _rows(cursor: Any, sql: str, user_id: int) -> Iterator[tuple[Any, ...]]:
    """Stream rows in seq order, in chunks, without loading a whole chain."""
    last = -(2**62)
    while True:
        cursor.execute(sql, [user_id, last])
        batch = cursor.fetchall()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


ENTRY_SQL = f"SELECT {COLUMNS} FROM ledger_entry WHERE user_id = %s AND seq > %s ORDER BY seq LIMIT {CHUNK}"  # nosec B608  # columns and chunk size are constants; values are parameters
CHECKPOINT_SQL = (
    "SELECT seq, head_hash, signature FROM ledger_checkpoint WHERE user_id = %s AND seq > %s "  # nosec B608  # constant text; values are parameters
    f"ORDER BY seq LIMIT {CHUNK}"
)


class _Broken(Exception):
    """The first thing found wrong: where, and why in words."""

    def __init__(self, seq: int, reason: str):
        super().__init__(reason)
        self.seq, self.reason = seq, reason


def verify_user(user_id: int, key: bytes | None = None, external: list[dict[str, Any]] | None = None) -> Verdict:
    """Check seq continuity, links, hashes, checkpoints, the head row and any saved checkpoints."""
    key = key if key is not None else settings.LEDGER_KEY
    walked = _Walk(user_id)
    try:
        walked.chain(key)
        _check_head(user_id, walked.last, walked.prev)
        _check_saved(user_id, key, walked.last, external or [])
    except _Broken as broken:
        return Verdict(False, walked.last, walked.prev, broken.seq, broken.reason)
    return Verdict(True, walked.last, walked.prev)


class _Walk:
    """Walks a chain in seq order; `last` and `prev` are the last good entry and its hash."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.prev = hashchain.genesis(user_id)
        self.last = 0

    def chain(self, key: bytes) -> None:
        with connection.cursor() as entries_cursor, connection.cursor() as ckpt_cursor:
            checkpoints = _rows(ckpt_cursor, CHECKPOINT_SQL, self.user_id)
            pending = next(checkpoints, None)
            for row in _rows(entries_cursor, ENTRY_SQL, self.user_id):
                computed = self._entry(row)
                seq = self.last + 1
                while pending is not None and pending[0] < seq:
                    pending = next(checkpoints, None)
                _check_checkpoint(key, self.user_id, seq, computed, pending)
                self.prev, self.last = computed, seq
            while pending is not None and pending[0] <= self.last:
                pending = next(checkpoints, None)
            if pending is not None:
                raise _Broken(
                    self.last + 1,
                    f"a signed checkpoint exists for entry #{pending[0]}, beyond the last entry: the chain was cut short",
                )

    def _entry(self, row: tuple[Any, ...]) -> str:
        """The entry's recomputed hash, once its seq, link and stored hash are right."""
        seq, expected = row[0], self.last + 1
        if seq != expected:
            if seq > expected:
                raise _Broken(expected, f"entry #{expected} is missing")
            raise _Broken(seq, f"entry #{seq} appears twice")
        try:
            computed = hashchain.entry_digest(self.prev, hashchain.canonical_bytes(_record(self.user_id, row)))
        except (ValueError, TypeError, AttributeError) as exc:
            raise _Broken(seq, f"entry #{seq} cannot be read: {exc}") from exc
        if row[11] != self.prev:
            raise _Broken(seq, f"entry #{seq} does not link to the entry before it (prev_hash differs)")
        if row[12] != computed:
            raise _Broken(seq, f"entry #{seq} was changed after it was recorded (its hash does not match)")
        return computed


def _check_checkpoint(key: bytes, user_id: int, seq: int, computed: str, pending: tuple[Any, ...] | None) -> None:
    if pending is None or pending[0] != seq:
        raise _Broken(seq, f"entry #{seq} has no signed checkpoint")
    if not hashchain.checkpoint_valid(key, user_id, seq, pending[1], pending[2]):
        raise _Broken(seq, f"the checkpoint of entry #{seq} has an invalid signature")
    if pending[1] != computed:
        raise _Broken(seq, f"entry #{seq} differs from its signed checkpoint")


def _check_head(user_id: int, last: int, prev: str) -> None:
    with connection.cursor() as head:
        head.execute("SELECT seq, head_hash FROM ledger_head WHERE user_id = %s", [user_id])
        head_row = head.fetchone()
    if head_row is None:
        if last:
            raise _Broken(last + 1, "the chain head row is missing")
    elif int(head_row[0]) != last or head_row[1] != prev:
        raise _Broken(
            min(int(head_row[0]), last) + 1, f"the chain head says #{head_row[0]} but the chain ends at #{last}"
        )


def _check_saved(user_id: int, key: bytes, last: int, external: list[dict[str, Any]]) -> None:
    """Checkpoints the person saved elsewhere: a chain cut short or rewritten below them shows up."""
    for saved in external:
        try:
            seq, head_hash, signature = int(saved["seq"]), str(saved["head_hash"]), str(saved["signature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _Broken(last + 1, "a saved checkpoint is malformed") from exc
        if not hashchain.checkpoint_valid(key, user_id, seq, head_hash, signature):
            raise _Broken(last + 1, f"the saved checkpoint for #{seq} has an invalid signature")
        if seq > last:
            raise _Broken(
                last + 1, f"a saved checkpoint covers entry #{seq}, beyond the last entry: the chain was cut short"
            )
        if _hash_at(user_id, seq) != head_hash:
            raise _Broken(seq, f"entry #{seq} differs from the saved checkpoint")


def _hash_at(user_id: int, seq: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM ledger_entry WHERE user_id = %s AND seq = %s", [user_id, seq])
        row = cursor.fetchone()
    return row[0] if row else None


# Rows already verified, keyed by everything the check reads: the row's record (`Entry.record()`, every column the
# hash covers), its hash, its checkpoint and the key. The same rows come back view after view of the history, and
# recomputing their hashes was a fifth of the page's time (bench row "GET /history/, 100k"); a row or checkpoint
# edited in the database no longer matches its memo and is checked again. Bounded: cleared when full.
_VERIFIED: set[tuple[Any, ...]] = set()
_VERIFIED_MAX = 5000


def verify_window(
    user_id: int, entries: list[Any], *, signed: dict[int, tuple[str, str]], key: bytes | None = None
) -> bool:
    """Check a page of Entry rows (in seq order) in O(page): hashes, links and the signed checkpoints
    (`signed`: seq -> (head_hash, signature)) of the page."""
    key = key if key is not None else settings.LEDGER_KEY
    for before, entry in zip([None, *entries], entries, strict=False):
        if before is not None and (entry.seq != before.seq + 1 or entry.prev_hash != before.hash):
            return False
        ckpt = signed.get(entry.seq)
        if ckpt is None or ckpt[0] != entry.hash:
            return False
        memo = (key, user_id, ckpt, entry.hash, *sorted(entry.record().items()))
        if memo in _VERIFIED:
            continue
        if entry.user_id != user_id or entry.compute_hash() != entry.hash:
            return False
        if not hashchain.checkpoint_valid(key, user_id, entry.seq, ckpt[0], ckpt[1]):
            return False
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED.add(memo)
    return True
