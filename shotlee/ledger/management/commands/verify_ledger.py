"""Verify every user's chain (or one user's) and exit non-zero on the first damage found.

It skips Django's system checks on purpose: a damaged database, one with its
triggers removed, is exactly when this command must still run and report.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from shotlee.ledger import checks, triggers
from shotlee.ledger.models import Tombstone
from shotlee.ledger.verify import verify_user


class Command(BaseCommand):
    help = "Recompute every user's hash chain and check it against its signed checkpoints."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", help="only this username")
        parser.add_argument("--checkpoints", help="a JSON file of checkpoints saved earlier (from an export)")

    def saved_checkpoints(self, path: str | None) -> dict[int, list[dict[str, Any]]]:
        """Checkpoints saved outside the database: a JSON list of {"user", "seq", "head_hash", "signature"}."""
        external: dict[int, list[dict[str, Any]]] = {}
        if not path:
            return external
        try:
            with open(path, encoding="utf-8") as handle:
                items = json.load(handle)
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError("expected a list of checkpoint objects")
            for item in items:
                external.setdefault(int(item["user"]), []).append(item)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read the checkpoints file {path}: {exc}", returncode=1) from exc
        return external

    def handle(self, *args: Any, **options: Any) -> None:
        problems = 0
        try:
            absent = triggers.missing(connection) if checks.triggers_expected() else []
        except DatabaseError as exc:
            raise CommandError(f"cannot read the database: {exc}") from exc
        for name in absent:
            self.stderr.write(f"TRIGGER MISSING: {name} (rows could have been changed; verifying anyway)")
            problems += 1

        external = self.saved_checkpoints(options.get("checkpoints"))

        users = get_user_model().objects.order_by("pk").values_list("pk", "username")
        if options.get("user"):
            users = users.filter(username=options["user"])
            if not users:
                raise CommandError(f"no user {options['user']!r}")
        checked = set()
        for user_id, username in users.iterator():
            verdict = verify_user(user_id, external=external.get(user_id))
            checked.add(user_id)
            if verdict.ok:
                self.stdout.write(f"ok   {username}: {verdict.entries} entries, head {verdict.head[:16]}")
            else:
                problems += 1
                self.stdout.write(f"BAD  {username}: first bad seq {verdict.first_bad_seq}: {verdict.reason}")
        if not options.get("user"):
            # A chain whose account was deleted behind the app's back: saved checkpoints or orphan rows remain.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT DISTINCT user_id FROM ledger_entry UNION SELECT DISTINCT user_id FROM ledger_checkpoint"
                )
                orphans = {row[0] for row in cursor.fetchall()} - checked
            erased = dict(Tombstone.objects.values_list("user_id", "erased_at"))
            for user_id in sorted(orphans | (set(external) - checked)):
                if user_id in erased and user_id not in orphans:
                    # Erased by the person, through ledger.erase: a saved checkpoint outlives the chain on purpose.
                    self.stdout.write(
                        f"gone user #{user_id}: the account and its chain were erased {erased[user_id]:%Y-%m-%d}"
                    )
                    continue
                problems += 1
                self.stdout.write(
                    f"BAD  user #{user_id}: first bad seq 1: a chain or saved checkpoint exists but the account is gone"
                )
        self.stdout.write(f"{len(checked)} chain(s) checked, {problems} problem(s)")
        if problems:
            raise CommandError(f"ledger verification failed: {problems} problem(s)", returncode=1)
