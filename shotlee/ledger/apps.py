from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def reinstall_triggers(using: str = "default", **kwargs: Any) -> None:
    """A SQLite table rebuild during a migration drops triggers: put them back after every migrate."""
    from django.db import connections

    from shotlee.ledger import checks, triggers

    connection = connections[using]
    if checks.triggers_expected():
        triggers.install(connection)


class LedgerConfig(AppConfig):
    name = "shotlee.ledger"

    def ready(self) -> None:
        from shotlee.ledger import checks  # noqa: F401  registers the trigger check

        post_migrate.connect(reinstall_triggers, sender=self)
