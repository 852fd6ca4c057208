"""Security events of accounts and access, as structured log records on the `shotlee.security` logger.

    events.event("twostep.enabled", actor=user.pk)

The record's message is the event's name and `extra={"security": {...}}` carries the fields: identifiers only
(user ids, the path, codes), never a username as typed, a password, a code or a token. A name typed by someone
not signed in goes in as `pseudonym()`. (When the project-wide audit helper lands, these calls map onto it.)
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

logger = logging.getLogger("shotlee.security")


def pseudonym(text: str) -> str:
    """A stable stand-in for something typed: links repeated attempts, reveals nothing."""
    return "h:" + hashlib.sha256(b"shotlee-audit\x00" + text.encode("utf-8", "replace")).hexdigest()[:16]


def event(name: str, *, level: int = logging.WARNING, **fields: object) -> None:
    body = {"event": name, "at": datetime.now(UTC).isoformat(timespec="milliseconds"), **fields}
    logger.log(level, name, extra={"security": body})
