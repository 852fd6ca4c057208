"""Reminder settings, the log that makes each reminder go out once, and the devices that take push messages.

Settings, not records: turning a reminder on is not something that happened to the person's body, so it is a
plain table (changed in place, exported and erased with the account), not a ledger record (docs/architecture.md).
Every table is per user and every unique key holds the user id (docs/deploy.md, "Scaling out"). Protocols are
referred to by their uid, not a foreign key: on PostgreSQL a protocol's primary key is (id, user_id).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

EMAIL, PUSH = "email", "push"
DUE, OVERDUE = "due", "overdue"


class ReminderSetting(models.Model):
    """What one person wants for one protocol: email and/or push, at what time of day, and an overdue nudge."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    protocol_uid = models.UUIDField()
    email = models.BooleanField(default=False)
    push = models.BooleanField(default=False)
    at = models.TimeField(null=True, blank=True)  # the person's local time of day on the due date; None: when due
    overdue = models.BooleanField(default=True)  # once more, a day later, if the dose is still not logged
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "protocol_uid"], name="reminder_user_protocol")]

    def __str__(self) -> str:
        return f"reminder of {self.user_id} for {self.protocol_uid}"


class SentReminder(models.Model):
    """One reminder, claimed before it is sent: the unique key lets one sender of many have it (send.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    protocol_uid = models.UUIDField()
    due_at = models.DateTimeField()  # the protocol's due time the reminder is about
    kind = models.CharField(max_length=10)  # DUE or OVERDUE
    channel = models.CharField(max_length=10)  # EMAIL or PUSH
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)  # None while being sent (or if the sender died)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "protocol_uid", "due_at", "kind", "channel"], name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} reminder of {self.user_id}"


class PushSubscription(models.Model):
    """A browser's push subscription (the Push API's endpoint and its keys), kept until the service says gone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=2000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "endpoint"], name="push_user_endpoint")]

    def __str__(self) -> str:
        return f"push subscription of {self.user_id}"
