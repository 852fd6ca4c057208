"""What the append-only tests share: a fingerprint of both ledger tables and the head rows."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection


def checksum() -> dict[str, Any]:
    """Counts, max seqs, head rows, the hash lists, and a digest of every column of both ledger tables."""
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in ("ledger_entry", "ledger_checkpoint"):
            cursor.execute(f"SELECT COUNT(*), MAX(seq) FROM {table}")
            out[f"{table} count, max seq"] = tuple(cursor.fetchone())
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            out[f"{table} digest"] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
        cursor.execute("SELECT user_id, seq, hash FROM ledger_entry ORDER BY user_id, seq")
        out["entry hashes"] = cursor.fetchall()
        cursor.execute("SELECT user_id, seq, head_hash, signature FROM ledger_checkpoint ORDER BY user_id, seq")
        out["checkpoints"] = cursor.fetchall()
        cursor.execute("SELECT user_id, seq, head_hash FROM ledger_head ORDER BY user_id")
        out["heads"] = cursor.fetchall()
    return out
