"""What the dashboard and the charts derive from a ledger, remembered per ledger head, for a minute.

Everything a chart draws is read from the person's ledger, which only ever grows, and every write moves its head
(a dose, a void, a correction, a new protocol version: docs/ledger.md). So what was computed for a head stays right
for as long as the head does, except for "now": the curve is drawn up to now and a dose becomes due or overdue as
time passes. The key is therefore the user, the head (its sequence number and hash), what the caller asked for
(range, time zone, preferred units, size) and the current minute; the next minute or the next write computes afresh.

Without it the dashboard reads and computes the same series on every view (bench rows `charts.*`: about 20 ms for a
protocol with five years of doses, against about 5 ms remembered; `charts_first.*` are the views after a write).
Guide parameters and custom metric names live outside the ledger: a change to them shows within the minute. Used
for the dashboard (its cards' charts and status, metric tiles, warnings, supplies) and the chart series.

In-process and bounded, like the ledger's memo of verified rows (ledger/verify.py): each worker keeps its own, only
for the current minute (the first request of a new minute drops the rest, so nothing of an erased account stays in
memory past it), and a full memo is emptied. Values are shared between requests: callers must not change them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User

from shotlee.ledger.models import LedgerHead

T = TypeVar("T")

MINUTE = 60
MAX_ENTRIES = 512  # a few hundred people's dashboards: each value is tens of kilobytes

_MEMO: dict[tuple[Hashable, ...], Any] = {}
_minute = [-1]  # the minute _MEMO holds
_MISSING = object()


def head_of(user: User) -> tuple[int, str]:
    """The user's ledger head (sequence number, hash); (0, "") before their first record (one query)."""
    found = LedgerHead.objects.filter(user=user).values_list("seq", "head_hash").first()
    return found if found is not None else (0, "")


def remembered(
    user: User, head: tuple[int, str], now: datetime, key: tuple[Hashable, ...], build: Callable[[], T]
) -> T:
    """`build()`, or what it returned for the same user, head, key and minute."""
    minute = int(now.timestamp()) // MINUTE
    full = (user.pk, *head, minute, *key)
    found = _MEMO.get(full, _MISSING)  # one lookup: another thread may empty the memo between two
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    value = build()
    if len(_MEMO) >= MAX_ENTRIES or minute != _minute[0]:
        _MEMO.clear()
        _minute[0] = minute
    _MEMO[full] = value
    return value


def forget() -> None:
    """Empty the memo (the bench's first-view rows; tests that change what lives outside the ledger)."""
    _MEMO.clear()
