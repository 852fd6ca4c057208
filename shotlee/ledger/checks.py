from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder

from shotlee.ledger import triggers

TRIGGER_MIGRATION = ("ledger", "0002_append_only_triggers")


def triggers_expected() -> bool:
    """True once the migration that installs the triggers has run."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return False
    return recorder.migration_qs.filter(app=TRIGGER_MIGRATION[0], name=TRIGGER_MIGRATION[1]).exists()


@register("ledger")
def check_append_only_triggers(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        if not triggers_expected():
            return []
        absent = triggers.missing(connection)
    except DatabaseError:
        return []  # no database yet: nothing to protect
    return [
        Error(
            f"append-only trigger {name} is missing",
            hint="Run `python manage.py migrate` to reinstall it, then `python manage.py verify_ledger`.",
            id="ledger.E001",
        )
        for name in absent
    ]
