"""Check a JSON export on its own: every record's hash and link, the head, and the checkpoint (pure code, no Django).

Used by the standalone verifier (`python -m shotlee.verify_export FILE`) and by
the app before it imports an export or compares one with today's history. The
export's records are exactly what each hash covers (docs/ledger.md), so any
change to a record's values breaks its hash or the next record's link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shotlee.lib import hashchain

FORMAT = "shotlee-export"
RECORD_FIELDS = (
    "seq",
    "uid",
    "kind",
    "occurred_at",
    "recorded_at",
    "subject",
    "compound",
    "amount_micro",
    "unit",
    "target_seq",
    "payload",
    "prev_hash",
)


@dataclass
class Report:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    reason: str = ""
    user: int | None = None
    hashes: list[str] = field(default_factory=list, repr=False)  # seq i+1 -> hash, for comparing with the server


class NotAnExport(ValueError):
    """The file is not a Shotlee JSON export (the message says what is wrong)."""


def record_of(user_id: int, item: dict[str, Any]) -> dict[str, Any]:
    """The hashed record (Entry.record()) from one exported entry; the payload may be its JSON text or the object."""
    record: dict[str, Any] = {"v": 1, "user": user_id}
    for name in RECORD_FIELDS:
        if name not in item:
            raise ValueError(f"the field {name!r} is missing")
        record[name] = item[name]
    if not isinstance(record["payload"], str):
        record["payload"] = hashchain.canonical_text(record["payload"])
    return record


def load(text: str | bytes) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotAnExport(f"the file is not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise NotAnExport('the file is not a Shotlee export (no "format": "shotlee-export")')
    if not isinstance(document.get("entries"), list) or not isinstance(document.get("user"), int):
        raise NotAnExport("the file has no list of entries or no user id")
    return document


def check(document: dict[str, Any], key: bytes | None = None) -> Report:
    """Recompute the chain from genesis; report the first bad seq. With `key`, also check the checkpoint's signature."""
    user_id = document["user"]
    prev = hashchain.genesis(user_id)
    hashes: list[str] = []

    def bad(seq: int, reason: str) -> Report:
        return Report(False, len(hashes), prev, seq, reason, user_id, hashes)

    for index, item in enumerate(document["entries"]):
        seq = index + 1
        if not isinstance(item, dict):
            return bad(seq, f"entry #{seq} is not an object")
        if item.get("seq") != seq:
            return bad(seq, f"entry #{seq} is missing (found #{item.get('seq')} in its place)")
        try:
            computed = hashchain.entry_digest(prev, hashchain.canonical_bytes(record_of(user_id, item)))
        except (ValueError, TypeError, AttributeError) as exc:
            return bad(seq, f"entry #{seq} cannot be read: {exc}")
        if item["prev_hash"] != prev:
            return bad(seq, f"entry #{seq} does not link to the entry before it (prev_hash differs)")
        if item.get("hash") != computed:
            return bad(seq, f"entry #{seq} was changed (its hash does not match its contents)")
        prev = computed
        hashes.append(computed)
    last = len(hashes)
    head = document.get("head")
    if not isinstance(head, dict) or head.get("seq") != last or head.get("hash") != prev:
        claimed = head.get("seq") if isinstance(head, dict) else None
        return bad(last + 1, f"the head says #{claimed} but the entries end at #{last}")
    checkpoint = document.get("checkpoint")
    if last and isinstance(checkpoint, dict):
        if checkpoint.get("seq") != last or checkpoint.get("head_hash") != prev or checkpoint.get("user") != user_id:
            return bad(last, "the signed checkpoint does not match the last entry")
        if key is not None and not hashchain.checkpoint_valid(
            key, user_id, last, prev, str(checkpoint.get("signature", ""))
        ):
            return bad(last, "the checkpoint's signature is not valid for this key")
    elif last:
        return bad(last, "the export has no signed checkpoint")
    return Report(True, last, prev, None, "", user_id, hashes)
