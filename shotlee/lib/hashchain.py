"""The hash chain: canonical bytes, entry digests and checkpoint signatures.

Canonical bytes are UTF-8 JSON with sorted keys and no whitespace; strings are
NFC-normalised; timestamps are UTC with exactly six fractional digits;
amounts are exact decimal strings. Floats are refused, so the same record
hashes the same on every engine and every machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

ENTRY_TAG = b"shotlee:v1:entry\x00"
GENESIS_TAG = b"shotlee:v1:genesis\x00"
CHECKPOINT_TAG = b"shotlee:v1:checkpoint\x00"


def format_time(value: datetime) -> str:
    """2026-03-01T08:00:00.000000Z: UTC with six fractional digits."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in a ledger record")
    value = value.astimezone(UTC)
    if value.year < 1000:  # strftime's %Y does not pad these to four digits; the bytes hashed must not change
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as the strftime above at a fraction of the cost: every entry of a page is formatted.
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def format_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("non-finite decimal in a ledger record")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)  # ASCII is already NFC
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    raise TypeError(f"{type(value).__name__} cannot go into canonical bytes")


# What json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False) would build on
# every call: one encoder, made once (every entry of a page and every append is encoded).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(record: dict[str, Any]) -> bytes:
    return _ENCODER.encode(_normalise(record)).encode("utf-8")


def canonical_text(record: dict[str, Any]) -> str:
    return canonical_bytes(record).decode("utf-8")


def genesis(user_id: int) -> str:
    return hashlib.sha256(GENESIS_TAG + str(user_id).encode()).hexdigest()


def entry_digest(prev_hash: str, record_bytes: bytes) -> str:
    return hashlib.sha256(ENTRY_TAG + bytes.fromhex(prev_hash) + record_bytes).hexdigest()


def checkpoint_message(user_id: int, seq: int, head_hash: str) -> bytes:
    return CHECKPOINT_TAG + f"{user_id}\x00{seq}\x00{head_hash}".encode()


def sign_checkpoint(key: bytes, user_id: int, seq: int, head_hash: str) -> str:
    return hmac.digest(key, checkpoint_message(user_id, seq, head_hash), "sha256").hex()


def checkpoint_valid(key: bytes, user_id: int, seq: int, head_hash: str, signature: str) -> bool:
    expected = sign_checkpoint(key, user_id, seq, head_hash)
    return hmac.compare_digest(expected, signature or "")
