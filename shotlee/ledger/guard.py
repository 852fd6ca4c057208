"""A running server notices missing append-only triggers.

The system check (`checks.py`) stops a server from starting without them, but a trigger can be dropped while it
runs. Every write asks `require_triggers()`, which looks at the database at most once per `TTL` seconds per
process (a catalogue read, under a millisecond) and otherwise answers from memory; `GET /api/v1/ledger/verify` and
the full check on the history page look afresh. Once they are found missing, writes are refused (the API answers
503) until `python manage.py migrate` puts them back (`triggers.install` makes the cached answer stale).
"""

from __future__ import annotations

import threading
import time

from django.db import DatabaseError, connection

from shotlee.ledger import checks, triggers
from shotlee.lib import audit

TTL = 10.0

_lock = threading.Lock()
_state: dict[str, tuple[float, int, tuple[str, ...]]] = {}  # alias -> (checked at, triggers.generation, missing)


class LedgerUnprotected(Exception):
    """Append-only triggers are missing: the ledger refuses writes until they are reinstalled."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


MESSAGE = (
    "Recording is switched off: the database's append-only protection of the record is missing. "
    "Nothing was recorded. The server's operator must run `python manage.py migrate` to restore it."
)


def missing_triggers(*, fresh: bool = False) -> list[str]:
    """Names of missing triggers (none before the trigger migration has run); from memory for up to TTL seconds."""
    alias = connection.alias
    now = time.monotonic()
    with _lock:
        cached = _state.get(alias)
    if not fresh and cached is not None and now - cached[0] < TTL and cached[1] == triggers.generation:
        return list(cached[2])
    try:
        found = tuple(triggers.missing(connection)) if checks.triggers_expected() else ()
    except DatabaseError:
        found = ()  # no database to protect yet; the write itself will fail on its own terms
    with _lock:
        _state[alias] = (now, triggers.generation, found)
    if found:
        audit.event("ledger.unprotected", missing=list(found))
    return list(found)


def require_triggers() -> None:
    """Raise LedgerUnprotected when the triggers are (known to be) missing."""
    missing = missing_triggers()
    if missing:
        raise LedgerUnprotected(missing)
