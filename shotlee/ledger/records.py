"""Records of any kind: append one (once per client entry id), void or supersede one, and read them as JSON.

This is the machinery every record kind shares; a kind's own services say what
its record holds and which rules it passes (doses), and call these.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.ledger import kinds
from shotlee.ledger.models import Entry, LedgerHead
from shotlee.ledger.services import Outcome, append, write
from shotlee.lib import hashchain


class CorrectionRefused(Exception):
    """The target cannot be corrected (already corrected or voided, or not a correctable record): 409."""


def record(user: User, uid: uuid.UUID | None, build: Callable[[LedgerHead], Entry], **write_options: Any) -> Outcome:
    """Append the record `build(head)` makes, unless this client entry id was recorded already (a retry)."""

    def action(head: LedgerHead) -> Outcome:
        earlier = already_recorded(user, uid)
        if earlier is not None:
            return earlier
        return Outcome(201, entry_body(build(head)))

    return write(user, action, **write_options)


def already_recorded(user: User, uid: uuid.UUID | None) -> Outcome | None:
    """The same client entry id again: the device retried, so answer with what was recorded."""
    if uid is None:
        return None
    existing = Entry.objects.for_user(user).filter(uid=uid).first()
    return None if existing is None else Outcome(201, entry_body(existing), replayed=True)


def correctable(user: User, target_uid: uuid.UUID, kind: str | None = None) -> Entry:
    """The user's entry a void or correction may target; Entry.DoesNotExist (a 404) for anyone else's."""
    target: Entry | None = Entry.objects.for_user(user).filter(uid=target_uid).first()
    if target is None:
        raise Entry.DoesNotExist
    if target.kind not in kinds.correctable():
        label = kinds.get(target.kind).label.lower() if target.kind in kinds.names() else target.kind
        raise CorrectionRefused(f"entry #{target.seq} ({label}) cannot be corrected")
    if kind is not None and target.kind != kind:
        raise CorrectionRefused(f"entry #{target.seq} is not a {kinds.get(kind).label.lower()}")
    later = Entry.objects.for_user(user).filter(target_seq=target.seq).first()
    if later is not None:
        raise CorrectionRefused(f"entry #{target.seq} was already corrected by #{later.seq}; correct that one instead")
    return target


def void(head: LedgerHead, target: Entry, reason: str) -> Entry:
    """ "Entered in error": a record that takes the target out of the effective view; the target stays."""
    return append(
        head,
        kind=kinds.VOID,
        occurred_at=timezone.now(),
        subject=target.subject,
        compound=target.compound,
        target_seq=target.seq,
        data={"reason": reason},
    )


def void_entry(user: User, target_uid: uuid.UUID, reason: str, **write_options: Any) -> Outcome:
    """Void a record of any correctable kind, in its own write."""
    return write(
        user, lambda head: Outcome(201, entry_body(void(head, correctable(user, target_uid), reason))), **write_options
    )


def supersede(
    user: User,
    target_uid: uuid.UUID,
    kind: str,
    replace: Callable[[LedgerHead, Entry], Entry],
    **write_options: Any,
) -> Outcome:
    """Correct a record: `replace(head, target)` appends the new values (with `target_seq`); the original stays."""

    def action(head: LedgerHead) -> Outcome:
        return Outcome(201, entry_body(replace(head, correctable(user, target_uid, kind))))

    return write(user, action, **write_options)


def entry_body(entry: Entry, *, superseded_by: Entry | None = None) -> dict[str, Any]:
    """The JSON shape of a ledger entry of any kind, shared by the API's record, correction and ledger endpoints."""
    kind = kinds.get(entry.kind)
    body: dict[str, Any] = {
        "id": str(entry.uid),
        "seq": entry.seq,
        "kind": entry.kind,
        "occurred_at": hashchain.format_time(entry.occurred_at),
        "recorded_at": hashchain.format_time(entry.recorded_at),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "corrects_seq": entry.target_seq,
        **kind.body(entry),
    }
    if superseded_by is not None:
        body["status"] = "entered-in-error" if superseded_by.kind == kinds.VOID else "corrected"
        body["superseded_by_seq"] = superseded_by.seq
    elif kind.correctable:
        body["status"] = "effective"
    return body


def superseding(user: User, entries: Iterable[Entry]) -> dict[int, Entry]:
    """For a page of entries: seq -> the void or correction that replaced it (one query)."""
    seqs = [e.seq for e in entries]
    if not seqs:
        return {}
    return {e.target_seq: e for e in Entry.objects.for_user(user).filter(target_seq__in=seqs) if e.target_seq}
