"""Django's migrate, which first puts back any missing append-only trigger.

`manage.py check` (and so the server) refuses to start while a trigger is missing (ledger.E001), and the documented
repair is `manage.py migrate`. Django's migrate runs the system checks before migrating, so it used to stop on the
very error it is meant to repair. The triggers are reinstalled before the checks run (only once the trigger
migration has been applied: before that there is nothing to protect), and again after migrating by the
post-migrate hook (a SQLite table rebuild drops them).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DatabaseError, connections

from shotlee.ledger import checks, triggers


class Command(DjangoMigrate):
    def execute(self, *args: Any, **options: Any) -> Any:
        # execute(), not handle(): Django runs the system checks in execute(), before handle().
        connection = connections[options.get("database") or "default"]
        try:
            missing = triggers.missing(connection) if checks.triggers_expected() else []
        except DatabaseError:  # no database yet: Django's migrate reports that better
            missing = []
        if missing:
            triggers.install(connection)
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(f"Reinstalled the missing append-only trigger(s): {', '.join(missing)}")
        return super().execute(*args, **options)
