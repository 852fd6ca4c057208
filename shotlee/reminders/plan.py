"""When the reminders about one due dose go out: on the due date at the person's time of day (or when due), and a
nudge a day later while the dose is still not logged. Plain datetime arithmetic in the person's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from shotlee.lib.schedule import localize
from shotlee.reminders.models import DUE, OVERDUE

# A reminder goes out in the first runs after its time, or not at all: one that was missed for this long (a server
# down overnight, a setting turned on in the afternoon for a morning reminder) would only arrive out of place.
LATE = timedelta(hours=12)


@dataclass(frozen=True)
class Reminder:
    kind: str  # DUE or OVERDUE
    due_at: datetime  # the protocol's due time
    send_at: datetime


def reminders_for(due_at: datetime, at: time | None, overdue: bool, tz: tzinfo) -> list[Reminder]:
    """The reminders about the dose due at `due_at`: `at` is the local time of day (None: at the due time)."""
    local = due_at.astimezone(tz)
    if at is None:
        first = due_at
        nudge = localize(local.replace(tzinfo=None) + timedelta(days=1), tz)
    else:
        first = localize(datetime.combine(local.date(), at), tz)
        nudge = localize(datetime.combine(local.date() + timedelta(days=1), at), tz)
    found = [Reminder(DUE, due_at, first)]
    if overdue:
        found.append(Reminder(OVERDUE, due_at, nudge))
    return found


def pending(reminders: list[Reminder], now: datetime) -> list[Reminder]:
    """Those whose time has come and not long gone; a nudge only once the dose is really late."""
    return [r for r in reminders if r.send_at <= now < r.send_at + LATE and (r.kind != OVERDUE or r.due_at < now)]
