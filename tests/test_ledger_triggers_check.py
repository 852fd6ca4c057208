"""T03: the append-only triggers exist after migrations, the system check notices any missing one,
and a SQLite table rebuild (which silently drops triggers) is repaired by the post-migrate hook."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, migrations, models, transaction
from django.db.migrations.state import ProjectState

from shotlee.accounts.services import issue_token
from shotlee.ledger import triggers
from shotlee.ledger.apps import reinstall_triggers
from tests.conftest import Api, make_protocol

ALL = triggers.expected_triggers(connection.vendor)


def present() -> set[str]:
    """Names of the expected triggers that exist and are enabled (ALWAYS on PostgreSQL)."""
    missing = set(triggers.missing(connection))
    return {name for _, name in triggers.expected_triggers(connection.vendor)} - missing


def check() -> str:
    out = StringIO()
    call_command("check", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def restore_triggers(db):
    yield
    triggers.install(connection)
    assert triggers.missing(connection) == []


def test_every_expected_trigger_is_installed_after_migrations(db):
    expected = triggers.expected_triggers(connection.vendor)
    assert len(expected) == (9 if connection.vendor == "sqlite" else 6)  # entries, checkpoints, tombstones
    assert triggers.missing(connection) == []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled = 'A'"
            )
        found = set(cursor.fetchall())
    assert {(name, table) for table, name in expected} <= found


def test_the_system_check_passes_with_every_trigger_present(db):
    assert "no issues" in check()


@pytest.mark.parametrize("table,name", ALL, ids=[name for _, name in ALL])
def test_dropping_any_one_trigger_fails_the_system_check(restore_triggers, table, name):
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER {name}")
            else:
                cursor.execute(f"DROP TRIGGER {name} ON {table}")
        assert triggers.missing(connection) == [name]
        with pytest.raises(SystemCheckError) as caught:
            check()
        message = str(caught.value)
        assert "ledger.E001" in message and name in message
        others = [n for _, n in ALL if n != name]
        assert not any(other in message for other in others)
    finally:
        triggers.install(connection)
    assert "no issues" in check()


@pytest.mark.parametrize("mode", ["ENABLE", "ENABLE REPLICA", "DISABLE"])
@pytest.mark.parametrize("table,name", ALL, ids=[name for _, name in ALL])
def test_a_trigger_not_enabled_always_fails_the_check_on_postgresql(restore_triggers, table, name, mode):
    """Only ENABLE ALWAYS fires under every session_replication_role; any other mode counts as missing."""
    if connection.vendor != "postgresql":
        pytest.skip("trigger firing modes are a PostgreSQL feature")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} {mode} TRIGGER {name}")
        assert triggers.missing(connection) == [name]
        with pytest.raises(SystemCheckError) as caught:
            check()
        assert "ledger.E001" in str(caught.value) and name in str(caught.value)
    finally:
        triggers.install(connection)
    assert triggers.missing(connection) == []
    assert "no issues" in check()


def test_dropping_every_trigger_reports_each_one(restore_triggers):
    try:
        triggers.uninstall(connection)
        with pytest.raises(SystemCheckError) as caught:
            check()
        message = str(caught.value)
        assert message.count("ledger.E001") == len(ALL)
        assert all(name in message for _, name in ALL)
    finally:
        triggers.install(connection)
    assert "no issues" in check()


def test_installing_twice_is_harmless(restore_triggers):
    triggers.install(connection)
    triggers.install(connection)
    assert triggers.missing(connection) == []
    assert "no issues" in check()


def _add_then_remove_a_column() -> None:
    """A synthetic migration on ledger_entry: add an indexed nullable column, then remove it.

    Removing an indexed column makes Django's SQLite backend rebuild the table (create new, copy,
    drop old, rename), which drops every trigger on it. PostgreSQL alters the table in place.
    """
    before = ProjectState.from_apps(django_apps)
    add = migrations.AddField("entry", "probe", models.BigIntegerField(null=True, db_index=True))
    remove = migrations.RemoveField("entry", "probe")
    middle = before.clone()
    add.state_forwards("ledger", middle)
    after = middle.clone()
    remove.state_forwards("ledger", after)
    with connection.schema_editor() as editor:
        add.database_forwards("ledger", editor, before, middle)
    with connection.schema_editor() as editor:
        remove.database_forwards("ledger", editor, middle, after)
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "ledger_entry")]
    assert "probe" not in columns and "hash" in columns


@pytest.fixture
def rebuilt(transactional_db, alice):
    """ledger_entry after the synthetic schema change, with alice's chain in it; triggers restored afterwards."""
    try:
        _add_then_remove_a_column()
        entry_triggers = {name for table, name in ALL if table == "ledger_entry"}
        if connection.vendor == "sqlite":
            # The rebuild dropped the triggers of the rebuilt table, and only those.
            assert set(triggers.missing(connection)) == entry_triggers
        else:
            assert triggers.missing(connection) == []
        yield
    finally:
        triggers.install(connection)


@pytest.mark.django_db(transaction=True)
def test_a_table_rebuild_drops_triggers_and_the_check_says_so(rebuilt):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite rebuilds the table (and drops its triggers) for this schema change")
    with pytest.raises(SystemCheckError) as caught:
        check()
    assert all(name in str(caught.value) for name in triggers.missing(connection))
    assert "ledger.E001" in str(caught.value)


@pytest.mark.django_db(transaction=True)
def test_the_post_migrate_hook_reinstalls_triggers_after_a_rebuild(rebuilt):
    reinstall_triggers(using="default")
    assert triggers.missing(connection) == []
    assert "no issues" in check()


@pytest.mark.django_db(transaction=True)
def test_migrate_reinstalls_triggers_after_a_rebuild(rebuilt):
    call_command("migrate", verbosity=0, interactive=False)
    assert triggers.missing(connection) == []
    assert "no issues" in check()


@pytest.mark.django_db(transaction=True)
def test_the_rebuilt_table_refuses_changes_again_after_migrate(rebuilt, alice):
    api = Api(issue_token(alice))
    if triggers.missing(connection):  # SQLite: the rebuild dropped them, and writes are refused until migrate
        assert (
            api.post("/api/v1/protocols", {"compound": "x", "dose": 1, "unit": "mg", "route": "oral"}).status_code
            == 503
        )
    call_command("migrate", verbosity=0, interactive=False)
    make_protocol(api)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_entry SET amount_micro = 1")


@pytest.mark.django_db(transaction=True)
def test_unapplying_and_reapplying_the_trigger_migration_keeps_the_check_honest(restore_triggers):
    """Before migration 0002 the check expects no triggers; applying it installs every one."""
    try:
        call_command("migrate", "ledger", "0001", verbosity=0, interactive=False)
        assert sorted(triggers.missing(connection)) == sorted(name for _, name in ALL)
        assert "no issues" in check()  # nothing is expected before the trigger migration
        call_command("migrate", verbosity=0, interactive=False)
        assert triggers.missing(connection) == []
        assert "no issues" in check()
    finally:
        call_command("migrate", verbosity=0, interactive=False)
