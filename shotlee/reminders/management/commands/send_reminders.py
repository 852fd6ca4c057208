"""`manage.py send_reminders`: run every few minutes (cron or a systemd timer, docs/deploy.md); idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shotlee.reminders.send import run


class Command(BaseCommand):
    help = "Send the email and push reminders whose time has come; each goes out once, however often this runs."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = run()
        self.stdout.write(
            f"{outcome.sent} sent, {outcome.taken_by_another} already sent by another run, "
            f"{outcome.failed} failed (tried again next run), {outcome.gone} expired push subscription(s) removed"
        )
        for problem in outcome.problems:
            self.stderr.write(problem)
