"""Database triggers that make the ledger tables append-only, for both engines.

Installed by a migration and again after every migrate (a SQLite table rebuild
drops triggers silently); `checks.py` fails start-up when one is missing.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

PROTECTED_TABLES = ("ledger_entry", "ledger_checkpoint")

# Bumped by install() and uninstall(): guard.py's cached answer is stale once this process changed the triggers.
generation = 0


def _sqlite_statements(table: str) -> list[str]:
    message = f"{table} is append-only"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        # INSERT OR REPLACE deletes the conflicting row without firing delete
        # triggers unless recursive_triggers is on; refuse the insert itself.
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "  # nosec B608  # table names are the PROTECTED_TABLES constant
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id OR (user_id = NEW.user_id AND seq = NEW.seq)) "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION shotlee_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% blocked)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$
"""


def _pg_statements(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION shotlee_append_only()",
        # TRUNCATE does not fire DELETE triggers.
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION shotlee_append_only()",
        # ALWAYS: still fires under session_replication_role = replica.
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
    ]


def expected_triggers(vendor: str) -> list[tuple[str, str]]:
    """(table, trigger name) pairs that must exist."""
    suffixes: tuple[str, ...]
    if vendor == "sqlite":
        suffixes = ("no_update", "no_delete", "no_replace")
    elif vendor == "postgresql":
        suffixes = ("no_update_delete", "no_truncate")
    else:
        return []
    return [(table, f"{table}_{suffix}") for table in PROTECTED_TABLES for suffix in suffixes]


def install(connection: BaseDatabaseWrapper) -> None:
    global generation
    generation += 1
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in PROTECTED_TABLES:
                for statement in _sqlite_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in PROTECTED_TABLES:
                for statement in _pg_statements(table):
                    cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers: for tests that simulate an attacker, and test-database flushes only."""
    global generation
    generation += 1
    with connection.cursor() as cursor:
        for table, name in expected_triggers(connection.vendor):
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Names of expected triggers that are absent (or, on PostgreSQL, not ENABLE ALWAYS)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'A'")
            present = {row[0] for row in cursor.fetchall()}
        else:
            return []
    return [name for _, name in expected_triggers(connection.vendor) if name not in present]
