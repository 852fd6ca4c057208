"""Back up the whole database while the app keeps running: `python manage.py backup [--output PATH]`.

SQLite: the online backup API; PostgreSQL: pg_dump (custom format). The copy is checked before it gets its
name. Restoring, and the verification that must follow, are in docs/reliability.md ("Backup and restore").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shotlee.ledger.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (SQLite backup API or pg_dump) to DATA_DIR/backups/, or to --output."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            help="the backup file to write (default: DATA_DIR/backups/shotlee-<UTC time>.sqlite3 or .dump)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = backup(Path(options["output"]) if options.get("output") else None)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(
            f"backup written: {made.path} ({made.engine}, {made.size:,} bytes, {made.seconds:.2f} s; {made.check})"
        )
