"""Database triggers that make the ledger tables append-only, for both engines.

Installed by a migration and again after every migrate (a SQLite table rebuild
drops triggers silently); `checks.py` fails start-up when one is missing.

One exception, for account erasure only: a DELETE of a user's entries or
checkpoints passes while that user has a row in `ledger_erasure_gate`, which
`ledger.erase.erase_chain` inserts and removes inside its own transaction (so
no other transaction ever sees it). UPDATE, REPLACE and TRUNCATE are refused
always, and so is every DELETE of the tombstones.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# The chain's tables: a DELETE passes only through the erasure gate.
CHAIN_TABLES = ("ledger_entry", "ledger_checkpoint")
# Append-only without exception: the record that a chain was erased.
TOMBSTONE_TABLE = "ledger_tombstone"
PROTECTED_TABLES = (*CHAIN_TABLES, TOMBSTONE_TABLE)
GATE_TABLE = "ledger_erasure_gate"

# The same row again (by id, or by the table's natural key), which INSERT OR REPLACE would delete first.
_SAME_ROW = {
    "ledger_entry": "id = NEW.id OR (user_id = NEW.user_id AND seq = NEW.seq)",
    "ledger_checkpoint": "id = NEW.id OR (user_id = NEW.user_id AND seq = NEW.seq)",
    TOMBSTONE_TABLE: "id = NEW.id OR user_id = NEW.user_id",
}

# Bumped by install() and uninstall(): guard.py's cached answer is stale once this process changed the triggers.
generation = 0


def _sqlite_statements(table: str, gate: bool = True) -> list[str]:
    """The table's triggers, dropped first so that a database made before the erasure gate gets the new ones.

    `gate`: whether the gate table exists yet (SQLite refuses a trigger naming a missing table on later DDL).
    """
    message = f"{table} is append-only"
    unless_erasing = (
        f"WHEN NOT EXISTS (SELECT 1 FROM {GATE_TABLE} WHERE user_id = OLD.user_id) "  # nosec B608  # constants
        if gate and table in CHAIN_TABLES
        else ""
    )
    statements = [f"DROP TRIGGER IF EXISTS {table}_{suffix}" for suffix in ("no_update", "no_delete", "no_replace")]
    return statements + [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {unless_erasing}"
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        # INSERT OR REPLACE deletes the conflicting row without firing delete
        # triggers unless recursive_triggers is on; refuse the insert itself.
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "  # nosec B608  # table names are constants
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {_SAME_ROW[table]}) "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


# Written out (no interpolation): the tables are CHAIN_TABLES and GATE_TABLE, checked just below.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION shotlee_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND TG_TABLE_NAME IN ('ledger_entry', 'ledger_checkpoint') THEN
    IF EXISTS (SELECT 1 FROM ledger_erasure_gate WHERE user_id = OLD.user_id) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only (% blocked)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$
"""
assert CHAIN_TABLES == ("ledger_entry", "ledger_checkpoint") and GATE_TABLE == "ledger_erasure_gate"


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


def _existing(connection: BaseDatabaseWrapper, cursor: Any) -> list[str]:
    """The protected tables present (an early migration runs before the later tables exist)."""
    present = set(connection.introspection.table_names(cursor))
    return [table for table in PROTECTED_TABLES if table in present]


def install(connection: BaseDatabaseWrapper, *, gate: bool | None = None) -> None:
    """Create (or re-create) every trigger; `gate=False` leaves the erasure gate out (before its table goes)."""
    global generation
    generation += 1
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if gate is None:
                gate = GATE_TABLE in connection.introspection.table_names(cursor)
            for table in _existing(connection, cursor):
                for statement in _sqlite_statements(table, gate):
                    cursor.execute(statement)
        elif connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in _existing(connection, cursor):
                for statement in _pg_statements(table):
                    cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers: for tests that simulate an attacker, and test-database flushes only."""
    global generation
    generation += 1
    with connection.cursor() as cursor:
        present = _existing(connection, cursor)
        for table, name in expected_triggers(connection.vendor):
            if table not in present:
                continue
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
