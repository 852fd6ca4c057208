"""Where a protocol stands: its last real dose, when the next one is due, missed doses, the ladder step, a site.

Scheduling belongs to the protocol; the doses are read from the ledger as
records of kind "dose" with the protocol's uid as their subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.ledger.models import Entry, EntryQuerySet
from shotlee.lib import schedule
from shotlee.protocols.models import DOSE, Protocol


def doses_of(user: User, protocol: Protocol) -> EntryQuerySet:
    """The protocol's effective doses."""
    return Entry.objects.for_user(user).of_kind(DOSE).filter(subject=protocol.uid).effective()


def last_dose(user: User, protocol: Protocol) -> Entry | None:
    return doses_of(user, protocol).order_by("-occurred_at", "-seq").first()


def first_dose(user: User, protocol: Protocol) -> Entry | None:
    return doses_of(user, protocol).order_by("occurred_at", "seq").first()


@dataclass
class Status:
    """Where a protocol stands now: last real dose, next due time, missed doses, ladder step, course session."""

    last: Entry | None
    next_due: datetime | None
    missed: int
    step: int | None  # index of the titration step in force (None without a ladder)
    steps: int
    dose: Decimal  # the dose of the step in force (the protocol's dose without a ladder)
    taken: int = 0  # effective doses of the protocol
    next_step: int | None = None  # the step after this one, when there is one
    next_step_optional: bool = False  # it needs the person's confirmation: the label allows it "if needed"
    next_step_at: datetime | None = None  # when the ladder moves on by itself (never for an optional step)
    session: int | None = None  # a finite course: the session due next (1-based); None for an open protocol
    sessions: int | None = None
    complete: bool = False  # a finite course whose sessions are all done

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < timezone.now()


def protocol_status(user: User, protocol: Protocol, tz: tzinfo = UTC, now: datetime | None = None) -> Status:
    """The next due time follows the last real dose (not the plan); before any dose, the start date. A course
    follows its session weeks and ends; a ladder moves on with doses taken, and an optional step only once
    confirmed."""
    current = protocol.current
    now = now or timezone.now()
    last = last_dose(user, protocol)
    plan = current.plan()
    taken = doses_of(user, protocol).count()
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    last_at = last.occurred_at if last else None
    if current.course:
        return _course_status(user, protocol, current.course, last, taken, starts_at, now)
    if protocol.stopped or (plan is None and current.interval_hours is None):
        return Status(last, None, 0, None, len(current.ladder), current.dose, taken)
    if plan is None:  # a fractional number of hours
        assert current.interval_hours is not None
        step = timedelta(microseconds=int(current.interval_hours * 3600 * 1_000_000))
        return Status(last, last_at + step if last_at else starts_at, 0, None, 0, current.dose, taken)
    due = schedule.next_due(plan, last_at, starts_at, tz)
    status = Status(last, due, schedule.missed(plan, last_at, starts_at, now, tz), None, 0, current.dose, taken)
    if plan.ladder:
        index = schedule.ladder_step(plan, taken, current.confirmed_step) or 0
        status.step, status.steps, status.dose = index, len(plan.ladder), plan.ladder[index].dose
        if index + 1 < len(plan.ladder):
            status.next_step = index + 1
            status.next_step_optional = plan.ladder[index + 1].optional
            remaining = schedule.doses_to_next_step(plan, taken, current.confirmed_step)
            if remaining is not None:
                times = schedule.upcoming(plan, due, due + timedelta(days=3660), tz, limit=remaining + 1)
                status.next_step_at = times[remaining] if remaining < len(times) else None
    return status


def _course_status(
    user: User,
    protocol: Protocol,
    course: dict[str, object],
    last: Entry | None,
    taken: int,
    starts_at: datetime,
    now: datetime,
) -> Status:
    """A finite series of sessions: session n is due `offsets_weeks[n]` weeks after the first; then it ends."""
    offsets = [int(w) for w in course["offsets_weeks"]]  # type: ignore[attr-defined]
    first = first_dose(user, protocol)
    due = (
        None
        if protocol.stopped
        else schedule.course_due(first.occurred_at if first else None, offsets, taken, starts_at)
    )
    missed = 0
    moment = due
    while moment is not None and moment < now and taken + missed < len(offsets):
        missed += 1
        moment = schedule.course_due(first.occurred_at if first else None, offsets, taken + missed, starts_at)
    done = taken >= len(offsets)
    return Status(
        last,
        due,
        missed,
        None,
        0,
        protocol.current.dose,
        taken,
        session=None if done else taken + 1,
        sessions=len(offsets),
        complete=done,
    )


def suggested_site(user: User, protocol: Protocol) -> str:
    """The least recently used site or zone of the protocol (one never used comes first, in list order)."""
    sites = protocol.current.sites
    if not sites:
        return ""
    last_used: dict[str, datetime] = {}
    for entry in doses_of(user, protocol).order_by("-occurred_at", "-seq").only("occurred_at", "payload")[:500]:
        site = entry.data.get("site")
        if site in sites and site not in last_used:
            last_used[site] = entry.occurred_at
            if len(last_used) == len(sites):
                break
    never = [s for s in sites if s not in last_used]
    if never:
        return never[0]
    return min(sites, key=lambda s: last_used[s])
