"""Send the reminders whose time has come, each exactly once however many senders run (`manage.py send_reminders`).

Once: before a reminder goes out, its row in `SentReminder` is inserted and committed in a transaction of its
own. The unique key (user, protocol, due time, kind, channel) lets exactly one sender have it: a second sender's
insert fails (PostgreSQL makes it wait for the first one's commit; SQLite's IMMEDIATE transactions take turns),
and that sender moves on. A send that fails gives its row back, so the next run tries again; a sender killed
between its commit and the send leaves the row, so that reminder is lost rather than sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shotlee.accounts.site import public_url
from shotlee.lib.hashchain import format_decimal
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import protocol_status
from shotlee.reminders import push
from shotlee.reminders.models import DUE, EMAIL, PUSH, PushSubscription, ReminderSetting, SentReminder
from shotlee.reminders.plan import LATE, Reminder, pending, reminders_for

log = logging.getLogger("shotlee.reminders")
KEEP_LOG = timedelta(days=30)  # the claims are only needed while a reminder could still go out


@dataclass
class Outcome:
    sent: int = 0
    taken_by_another: int = 0  # claimed by a run before or beside this one
    failed: int = 0
    gone: int = 0  # push subscriptions the service no longer knows, deleted
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    path: str  # where to log the dose


def compose(protocol: Protocol, reminder: Reminder, dose: str, tz: tzinfo) -> Message:
    local = reminder.due_at.astimezone(tz)
    when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"  # in the person's zone: "Tue 3 Dec, 09:00"
    unit = protocol.current.unit.value
    path = reverse("doses:log") + f"?protocol={protocol.uid}"
    if reminder.kind == DUE:
        subject = f"Dose due: {protocol.name} {dose} {unit}"
        first = f"{protocol.name} ({dose} {unit}) is due {when}."
    else:
        subject = f"Overdue: {protocol.name} was due {when}"
        first = f"{protocol.name} ({dose} {unit}) was due {when} and no dose is logged since."
    body = (
        f"{first}\n\nLog it once taken: {public_url(path)}\n\n"
        "Shotlee never recommends a dose; this is the plan you set. You get this because you turned on "
        f"reminders for this protocol: {public_url(reverse('reminders:settings'))}\n"
    )
    return Message(subject, body, path)


def claim(user_id: int, protocol: Protocol, reminder: Reminder, channel: str, now: datetime) -> SentReminder | None:
    try:
        with transaction.atomic():
            return SentReminder.objects.create(
                user_id=user_id,
                protocol_uid=protocol.uid,
                due_at=reminder.due_at,
                kind=reminder.kind,
                channel=channel,
                claimed_at=now,
            )
    except IntegrityError:
        return None


def deliver(claimed: SentReminder, outcome: Outcome, send: Callable[..., None], *args: Any) -> None:
    """Send; on success note the time, on failure give the claim back so a later run tries again."""
    try:
        send(*args)
    except Exception as exc:
        SentReminder.objects.filter(user_id=claimed.user_id, pk=claimed.pk).delete()
        outcome.failed += 1
        outcome.problems.append(f"{claimed.channel} to user {claimed.user_id}: {type(exc).__name__}")
        log.warning("reminder not sent (%s to user %s): %s", claimed.channel, claimed.user_id, type(exc).__name__)
        return
    SentReminder.objects.filter(user_id=claimed.user_id, pk=claimed.pk).update(sent_at=timezone.now())
    outcome.sent += 1


def send_email(user: User, message: Message) -> None:
    EmailMessage(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()


def send_push(user: User, protocol: Protocol, reminder: Reminder, message: Message, outcome: Outcome) -> None:
    """One message to each of the person's devices; fails only when no device took it (and one was not gone)."""
    payload = {
        "title": message.subject,
        "body": message.body.split("\n", 1)[0],
        "url": message.path,
        "tag": f"{protocol.uid}-{reminder.kind}",
    }
    delivered, errors = 0, []
    for subscription in PushSubscription.objects.filter(user_id=user.pk).order_by("pk"):
        try:
            push.send(subscription, payload, int(LATE.total_seconds()))
        except push.Gone:
            outcome.gone += 1
        except Exception as exc:
            errors.append(exc)
        else:
            delivered += 1
    if errors and not delivered:
        raise errors[0]


def run(now: datetime | None = None) -> Outcome:
    """One pass over every reminder setting that is on; safe to run often, and beside another run."""
    now = now or timezone.now()
    outcome = Outcome()
    SentReminder.objects.filter(due_at__lt=now - KEEP_LOG).delete()
    push_on = push.configured()
    settings_on = ReminderSetting.objects.filter(Q(email=True) | Q(push=True)).order_by("user_id", "pk")
    for setting in settings_on.iterator():
        user = User.objects.select_related("profile").filter(pk=setting.user_id, is_active=True).first()
        protocol = Protocol.objects.for_user(setting.user_id).active().filter(uid=setting.protocol_uid).first()
        if user is None or protocol is None:
            continue
        profile = getattr(user, "profile", None)
        tz = profile.tz if profile is not None else timezone.get_default_timezone()
        status = protocol_status(user, protocol, tz, now)
        if status.next_due is None:
            continue
        for reminder in pending(reminders_for(status.next_due, setting.at, setting.overdue, tz), now):
            message = compose(protocol, reminder, format_decimal(status.dose), tz)
            if setting.email and user.email:
                claimed = claim(user.pk, protocol, reminder, EMAIL, now)
                if claimed is None:
                    outcome.taken_by_another += 1
                else:
                    deliver(claimed, outcome, send_email, user, message)
            if setting.push and push_on and PushSubscription.objects.filter(user_id=user.pk).exists():
                claimed = claim(user.pk, protocol, reminder, PUSH, now)
                if claimed is None:
                    outcome.taken_by_another += 1
                else:
                    deliver(claimed, outcome, send_push, user, protocol, reminder, message, outcome)
    return outcome
