"""Security events as structured log lines: one JSON object per line on the `shotlee.security` logger.

    audit.event("dose.warnings_overridden", actor=user.pk, seq=12, codes=["too_soon"])

Each line carries `event` (a name listed in docs/security.md), `at` (UTC, ISO 8601), and the fields given. Only
identifiers go in: numbers, booleans, UUIDs and short identifier-like strings (codes, paths, event outcomes).
Anything else — a note, a symptom, a username someone typed, a value with a line break — is written as
"[redacted]", so a log line cannot carry health data, a secret, or a forged second line (ASVS 16.2.5, 16.4.1).
To name a person who is not signed in, use `pseudonym()` of what they typed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from datetime import UTC, datetime

logger = logging.getLogger("shotlee.security")

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:/@+<>-]{0,120}")
REDACTED = "[redacted]"
Value = int | float | bool | None | str | uuid.UUID | list[str] | tuple[str, ...]


def _safe(value: Value) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_safe(item) for item in value]
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return value
    return REDACTED


def pseudonym(text: str) -> str:
    """A stable stand-in for something typed (a username on a failed login): links attempts, reveals nothing."""
    return "h:" + hashlib.sha256(b"shotlee-audit\x00" + text.encode("utf-8", "replace")).hexdigest()[:16]


def line(name: str, **fields: Value) -> str:
    """The JSON text of one event (what `event` logs)."""
    body = {"event": _safe(name), "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
    body.update({key: _safe(value) for key, value in fields.items() if key not in body})
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def event(name: str, *, level: int = logging.WARNING, **fields: Value) -> None:
    """Log one security event (WARNING by default, so the production log level keeps it)."""
    logger.log(level, line(name, **fields))
