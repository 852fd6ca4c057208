"""The private calendar feed (RFC 5545): upcoming planned doses, never records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import icalendar
from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.lib import schedule
from shotlee.lib.hashchain import format_decimal
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import Status, first_dose, protocol_status

HORIZON = timedelta(days=90)
PER_PROTOCOL = 60
AT_LEAST = 2  # planned doses per protocol, however far ahead (a quarterly dose is 91 days away)


def planned(user: User, protocol: Protocol, status: Status, tz: tzinfo, now: datetime) -> list[datetime]:
    """The protocol's next planned doses: those within the horizon, and at least the next two."""
    current = protocol.current
    if status.next_due is None:
        return []
    if current.course:
        first = first_dose(user, protocol)
        starts_at = status.next_due if first is None else first.occurred_at
        offsets = current.course["offsets_weeks"]
        times = [
            schedule.course_due(first.occurred_at if first else None, offsets, n, starts_at)
            for n in range(status.taken, len(offsets))
        ]
        due = [t for t in times if t is not None]
    else:
        plan = current.plan()
        if plan is None:  # a fractional number of hours: absolute time, one step after another
            assert current.interval_hours is not None
            step = timedelta(microseconds=int(current.interval_hours * 3600 * 1_000_000))
            due = [status.next_due + step * i for i in range(PER_PROTOCOL)]
        else:
            due = schedule.upcoming(plan, status.next_due, now + timedelta(days=3660), tz, limit=PER_PROTOCOL)
    return [t for i, t in enumerate(due) if i < AT_LEAST or t <= now + HORIZON][:PER_PROTOCOL]


def build_feed(user: User, tz: tzinfo = UTC, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Shotlee//Dose reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Shotlee doses")
    cal.add("refresh-interval;value=duration", "PT1H")
    for protocol in Protocol.objects.for_user(user).active():
        status = protocol_status(user, protocol, tz, now)
        for i, due in enumerate(planned(user, protocol, status, tz, now)):
            dose = status.dose
            plan = protocol.current.plan()
            if plan is not None and plan.ladder:  # the step each planned dose is at, if the ones before are taken
                dose = plan.ladder[
                    schedule.ladder_step(plan, status.taken + i, protocol.current.confirmed_step) or 0
                ].dose
            event = icalendar.Event()
            event.add("uid", f"{protocol.uid}-{due.astimezone(UTC):%Y%m%dT%H%M%SZ}@shotlee")
            event.add("dtstamp", now.astimezone(UTC))
            event.add("dtstart", due.astimezone(UTC))
            event.add("duration", timedelta(minutes=15))
            event.add("summary", f"Dose due: {protocol.name} {format_decimal(dose)} {protocol.current.unit.value}")
            event.add(
                "description",
                "Planned by your protocol in Shotlee. Log it there once taken; nothing is recorded from the calendar.",
            )
            event.add("categories", ["Shotlee"])
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{protocol.name} is due")
            alarm.add("trigger", timedelta(0))
            event.add_component(alarm)
            cal.add_component(event)
    return bytes(cal.to_ical())
