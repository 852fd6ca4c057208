"""The private calendar feed (RFC 5545): upcoming planned doses, never records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import icalendar
from django.contrib.auth.models import User
from django.utils import timezone

from shotlee.lib import schedule
from shotlee.lib.hashchain import format_decimal
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import first_dose, protocol_status

HORIZON = timedelta(days=90)
PER_PROTOCOL = 60


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
        plan = protocol.current.plan()
        if status.next_due is None or plan is None:
            continue
        first = first_dose(user, protocol)
        for due in schedule.upcoming(plan, status.next_due, now + HORIZON, tz, limit=PER_PROTOCOL):
            dose = status.dose
            if plan.ladder:
                step = schedule.ladder_step(plan, first.occurred_at if first else due, due) or 0
                dose = plan.ladder[step].dose
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
