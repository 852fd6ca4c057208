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
    """Where a protocol stands now: last real dose, next due time, missed doses, ladder step."""

    last: Entry | None
    next_due: datetime | None
    missed: int
    step: int | None
    steps: int
    dose: Decimal

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < timezone.now()


def protocol_status(user: User, protocol: Protocol, tz: tzinfo = UTC, now: datetime | None = None) -> Status:
    """The next due time follows the last real dose (not the plan); before any dose, the start date."""
    current = protocol.current
    now = now or timezone.now()
    last = last_dose(user, protocol)
    plan = current.plan()
    if protocol.stopped or (plan is None and current.interval_hours is None):
        return Status(last, None, 0, None, len(current.ladder), current.dose)
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    last_at = last.occurred_at if last else None
    if plan is None:  # a fractional number of hours
        assert current.interval_hours is not None
        step = timedelta(microseconds=int(current.interval_hours * 3600 * 1_000_000))
        return Status(last, last_at + step if last_at else starts_at, 0, None, 0, current.dose)
    step_index = None
    dose = current.dose
    if plan.ladder:
        first = first_dose(user, protocol)
        step_index = schedule.ladder_step(plan, first.occurred_at if first else None, now) or 0
        dose = plan.ladder[step_index].dose
    due = schedule.next_due(plan, last_at, starts_at, tz)
    missed = schedule.missed(plan, last_at, starts_at, now, tz)
    return Status(last, due, missed, step_index, len(plan.ladder), dose)


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
