"""The reads every visit makes, compiled once (see sql.Compiled): the history page and the API's record lists.

Both are ordinary QuerySets. Compiling them on every request was most of their
cost (bench rows "GET /history/" and "GET /api/v1/doses", in-process: the ORM
version measured in docs/architecture.md, "Performance"); compiled once per
connection they keep the same SQL and the same values. `tests/test_compiled.py`
checks each against running its QuerySet.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from shotlee.ledger import kinds
from shotlee.ledger.models import Checkpoint, Entry, LedgerHead
from shotlee.ledger.sql import Compiled

FIELDS = tuple(f.attname for f in Entry._meta.concrete_fields)
EXTRA = ("checkpoint_hash", "checkpoint_signature", "replaced_by_seq", "replaced_by_kind", "head_seq", "head_hash")
LAST = 2**62  # above every seq: "before" for the first page
END = datetime(9999, 12, 31, tzinfo=UTC)  # after every time: the cursor of the first page

_checkpoint = Checkpoint.objects.filter(user_id=OuterRef("user_id"), seq=OuterRef("seq"))
_head = LedgerHead.objects.filter(user_id=OuterRef("user_id"))
_replacement = Entry.objects.filter(user_id=OuterRef("user_id"), target_seq=OuterRef("seq"))


def history_queryset(user_id: int, before: int, limit: int) -> Any:
    """The user's entries before `before`, newest first, each with its signed checkpoint and what replaced it."""
    return (
        Entry.objects.filter(user_id=user_id, seq__lt=before)
        .annotate(
            checkpoint_hash=Subquery(_checkpoint.values("head_hash")[:1]),
            checkpoint_signature=Subquery(_checkpoint.values("signature")[:1]),
            replaced_by_seq=Subquery(_replacement.values("seq")[:1]),
            replaced_by_kind=Subquery(_replacement.values("kind")[:1]),
            head_seq=Subquery(_head.values("seq")[:1]),
            head_hash=Subquery(_head.values("head_hash")[:1]),
        )
        .order_by("-seq")
        .values_list(*FIELDS, *EXTRA)[:limit]
    )


@functools.cache
def _history(limit: int) -> Compiled:
    return Compiled(lambda user_id, before: history_queryset(user_id, before, limit), user_id=int, before=int)


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry.from_db(connection.alias, list(FIELDS), list(row[: len(FIELDS)]))


def history_page(
    user_id: int, before: int | None, limit: int = 25
) -> tuple[LedgerHead, list[tuple[Entry, tuple[str, str] | None, tuple[int, str] | None]]]:
    """The chain head, and `history_queryset`: each entry with its checkpoint (head_hash, signature) and its
    replacement (seq, kind). One query (two when the page is empty: the head alone)."""
    n = len(FIELDS)
    rows = _history(limit)(user_id=user_id, before=LAST if before is None else before)
    if not rows:
        return LedgerHead.objects.get(user_id=user_id), []
    head = LedgerHead(user_id=user_id, seq=rows[0][n + 4], head_hash=rows[0][n + 5])
    page = [
        (
            _entry(row),
            None if row[n] is None else (row[n], row[n + 1]),
            None if row[n + 2] is None else (row[n + 2], row[n + 3]),
        )
        for row in rows
    ]
    return head, page


def kind_queryset(user_id: int, kind: str, at: datetime, seq: int, limit: int, *, effective: bool) -> Any:
    """Records of one kind, newest first, after the keyset cursor (at, seq)."""
    rows = Entry.objects.filter(user_id=user_id, kind=kind).filter(
        Q(occurred_at__lt=at) | Q(occurred_at=at, seq__lt=seq)
    )
    if effective:
        rows = rows.effective()
    return rows.order_by("-occurred_at", "-seq").values_list(*FIELDS)[:limit]


@functools.cache
def _kind_page(kind: str, effective: bool, limit: int) -> Compiled:
    return Compiled(
        lambda user_id, at, seq: kind_queryset(user_id, kind, at, seq, limit, effective=effective),
        user_id=int,
        at=datetime,
        seq=int,
    )


def kind_page(
    user_id: int, kind: str, *, effective: bool, after: tuple[datetime, int] | None, limit: int
) -> list[Entry]:
    """`kind_queryset` as Entry instances; `after=None` is the first page."""
    at, seq = after if after is not None else (END, LAST)
    return [_entry(row) for row in _kind_page(kind, effective, limit)(user_id=user_id, at=at, seq=seq)]


VOID = kinds.VOID


def diary_queryset(
    user_id: int, *, after: tuple[datetime, int] | None, limit: int, kind: str = "", subject: Any = None
) -> Any:
    """The person's effective history, newest first by when it happened: each record once, at its latest values.

    A void or a correction is not a diary line of its own: a corrected record shows as its latest correction, a
    voided one stays (marked, by `replaced_by_kind`), and a record some later correction supersedes is left out.
    Keyset-paginated on (occurred_at, seq); one query whatever the history's length.
    """
    rows = (
        Entry.objects.filter(user_id=user_id)
        .exclude(kind=VOID)
        .annotate(replaced_by_kind=Subquery(_replacement.values("kind")[:1]))
        .filter(Q(replaced_by_kind__isnull=True) | Q(replaced_by_kind=VOID))
    )
    if kind:
        rows = rows.filter(kind=kind)
    if subject is not None:
        rows = rows.filter(subject=subject)
    if after is not None:
        at, seq = after
        rows = rows.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, seq__lt=seq))
    return rows.order_by("-occurred_at", "-seq").values_list(*FIELDS, "replaced_by_kind")[:limit]


def diary_page(
    user_id: int, *, after: tuple[datetime, int] | None, limit: int, kind: str = "", subject: Any = None
) -> list[tuple[Entry, bool]]:
    """`diary_queryset` as (entry, voided) pairs."""
    rows = diary_queryset(user_id, after=after, limit=limit, kind=kind, subject=subject)
    return [(_entry(row), row[-1] == VOID) for row in rows]
