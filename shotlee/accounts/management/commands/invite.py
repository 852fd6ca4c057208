"""Make a sign-up invite: `manage.py invite [--days N] [--note TEXT] [--base-url https://shotlee.example.org]`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shotlee.accounts.invites import NOTE_MAX, invite_path, make_invite


class Command(BaseCommand):
    help = "Make an invite link for one person to sign up (single use; only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help=f"valid for this many days (default {settings.INVITE_DAYS})"
        )
        parser.add_argument("--note", default="", help="who it is for, as a reminder in the admin")
        parser.add_argument("--base-url", default="", help="the server's address, to print a whole link")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is not None and not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365")
        if len(options["note"]) > NOTE_MAX:
            raise CommandError(f"--note must be at most {NOTE_MAX} characters")
        raw = make_invite(days=days, note=options["note"])
        link = options["base_url"].rstrip("/") + invite_path(raw)
        self.stdout.write(link)
        self.stderr.write(f"Works once, for {days or settings.INVITE_DAYS} days. It is shown only now.")
