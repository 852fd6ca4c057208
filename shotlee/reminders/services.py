"""Reading and changing one person's reminder settings (the pages' one way in)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.contrib.auth.models import User

from shotlee.protocols.models import Protocol
from shotlee.reminders import push
from shotlee.reminders.models import PushSubscription, ReminderSetting

TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?")


@dataclass
class Row:
    """One active protocol with its reminder setting (a default, off, when there is none yet)."""

    protocol: Protocol
    setting: ReminderSetting

    @property
    def at_text(self) -> str:
        return self.setting.at.strftime("%H:%M") if self.setting.at else ""


def rows(user: User) -> list[Row]:
    found = {s.protocol_uid: s for s in ReminderSetting.objects.filter(user=user)}
    return [
        Row(p, found.get(p.uid) or ReminderSetting(user=user, protocol_uid=p.uid))
        for p in Protocol.objects.for_user(user).active()
    ]


def context(user: User) -> dict[str, Any]:
    from django.conf import settings

    return {
        "reminder_rows": rows(user),
        "has_email": bool(user.email),
        "push_on": push.configured(),
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "push_devices": PushSubscription.objects.filter(user=user).count(),
    }


class BadTime(ValueError):
    pass


def parse_time(text: str) -> time | None:
    text = text.strip()
    if not text:
        return None
    match = TIME.fullmatch(text)
    if match is None:
        raise BadTime(text)
    return time(int(match.group(1)), int(match.group(2)))


def save(user: User, protocol: Protocol, *, email: bool, push_on: bool, at: time | None, overdue: bool) -> None:
    ReminderSetting.objects.update_or_create(
        user=user,
        protocol_uid=protocol.uid,
        defaults={"email": email, "push": push_on, "at": at, "overdue": overdue},
    )


def export(user: User) -> dict[str, Any]:
    """What the JSON export carries about reminders: each protocol's setting and the devices that take them."""
    return {
        "settings": [
            {
                "protocol": str(s.protocol_uid),
                "email": s.email,
                "push": s.push,
                "at": s.at.strftime("%H:%M") if s.at else None,
                "overdue": s.overdue,
            }
            for s in ReminderSetting.objects.filter(user=user).order_by("pk")
        ],
        "push_devices": [
            {"endpoint": d.endpoint, "since": d.created_at.isoformat()}
            for d in PushSubscription.objects.filter(user=user).order_by("pk")
        ],
    }
