"""T02: raw SQL that would change or remove ledger rows is refused by the database triggers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from shotlee.ledger import triggers
from shotlee.ledger.models import Checkpoint, Entry
from tests.conftest import make_protocol
from tests.ledger_support import checksum

T = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)

ENTRY_COLUMNS = "user_id, seq, uid, kind, occurred_at, recorded_at, subject, compound, amount_micro, unit, target_seq, payload, prev_hash, hash"
CHECKPOINT_COLUMNS = "user_id, seq, head_hash, key_id, signature, created_at"


@pytest.fixture
def rows(alice_api, bob_api, alice, bob) -> dict[str, Any]:
    """Two users with a few entries each; returns the ids the statements aim at."""
    for api, count in ((alice_api, 3), (bob_api, 1)):
        protocol = make_protocol(api)
        for i in range(count):
            when = (T + timedelta(days=7 * i)).isoformat()
            response = api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": when})
            assert response.status_code == 201, response.content
    assert not triggers.missing(connection)
    if connection.vendor == "postgresql":
        # Fire the deferred foreign-key checks of the inserts above now: otherwise PostgreSQL refuses
        # TRUNCATE for "pending trigger events" and the test would not reach the append-only trigger.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return {
        "user": alice.pk,
        "ledger_entry": Entry.objects.get(user=alice, seq=2).pk,
        "ledger_checkpoint": Checkpoint.objects.get(user=alice, seq=2).pk,
    }


def _uid_literal() -> str:
    # Django stores UUIDField as char(32) hex on SQLite and as uuid on PostgreSQL.
    return f"'{uuid.uuid4().hex}'" if connection.vendor == "sqlite" else f"'{uuid.uuid4()}'"


def _copy_select(table: str, row_id: int, *, new_uid: bool, with_id: bool) -> tuple[str, str]:
    """(column list, SELECT list) copying one row, optionally with a fresh uid and keeping its id."""
    columns = ENTRY_COLUMNS if table == "ledger_entry" else CHECKPOINT_COLUMNS
    select = columns
    if table == "ledger_entry" and new_uid:
        select = select.replace("uid,", f"{_uid_literal()},", 1)
    if with_id:
        columns, select = "id, " + columns, "id, " + select
    return columns, f"SELECT {select} FROM {table} WHERE id = {row_id}"


def _primary_key() -> str:
    """The ledger tables' primary key: (id, user_id) on PostgreSQL, where they are ready to be distributed by user
    (shotlee/ledger/distribution.py), id on SQLite."""
    return "id, user_id" if connection.vendor == "postgresql" else "id"


def _changed_column(table: str) -> str:
    return "amount_micro = 1" if table == "ledger_entry" else "head_hash = 'ff'"


def _copy(verb: str, table: str, row_id: int, *, with_id: bool, new_uid: bool = True, suffix: str = "") -> str:
    """`<verb> <table> (...) SELECT ...` re-inserting a copy of one row (its id, or its (user, seq))."""
    columns, select = _copy_select(table, row_id, new_uid=new_uid, with_id=with_id)
    return f"{verb} {table} ({columns}) {select} {suffix}".strip()


# Statements for both engines. Each takes (table, row id) and returns SQL.
COMMON = {
    "update one row": lambda t, i: f"UPDATE {t} SET {_changed_column(t)} WHERE id = {i}",
    "update one row's seq": lambda t, i: f"UPDATE {t} SET seq = seq + 1000 WHERE id = {i}",
    "update every row": lambda t, i: f"UPDATE {t} SET {_changed_column(t)}",
    "delete one row": lambda t, i: f"DELETE FROM {t} WHERE id = {i}",
    "delete every row": lambda t, i: f"DELETE FROM {t}",
    "upsert on an existing id": lambda t, i: _copy(
        "INSERT INTO", t, i, with_id=True, suffix=f"ON CONFLICT ({_primary_key()}) DO UPDATE SET {_changed_column(t)}"
    ),
    "upsert on an existing (user, seq)": lambda t, i: _copy(
        "INSERT INTO", t, i, with_id=False, suffix=f"ON CONFLICT (user_id, seq) DO UPDATE SET {_changed_column(t)}"
    ),
}

SQLITE_ONLY = {
    "INSERT OR REPLACE with an existing id": lambda t, i: _copy("INSERT OR REPLACE INTO", t, i, with_id=True),
    "REPLACE INTO with an existing id": lambda t, i: _copy("REPLACE INTO", t, i, with_id=True),
    "INSERT OR REPLACE with an existing (user, seq)": lambda t, i: _copy("INSERT OR REPLACE INTO", t, i, with_id=False),
    "REPLACE INTO with an existing (user, seq)": lambda t, i: _copy("REPLACE INTO", t, i, with_id=False),
    "INSERT OR REPLACE of an identical copy": lambda t, i: _copy(
        "INSERT OR REPLACE INTO", t, i, with_id=True, new_uid=False
    ),
    "UPDATE OR REPLACE onto another row's seq": lambda t, i: f"UPDATE OR REPLACE {t} SET seq = seq + 1 WHERE id = {i}",
}

POSTGRES_ONLY = {
    "TRUNCATE": lambda t, i: f"TRUNCATE {t}",
    "TRUNCATE ... CASCADE": lambda t, i: f"TRUNCATE {t} CASCADE",
    "UPDATE ... FROM": lambda t, i: f"UPDATE {t} AS x SET seq = x.seq FROM {t} AS y WHERE x.id = y.id AND y.id = {i}",
    "DELETE ... USING": lambda t, i: f"DELETE FROM {t} AS x USING {t} AS y WHERE x.id = y.id AND y.id = {i}",
    "MERGE ... WHEN MATCHED UPDATE": lambda t, i: (
        f"MERGE INTO {t} AS x USING (SELECT {i} AS id) AS y ON x.id = y.id WHEN MATCHED THEN UPDATE SET seq = x.seq"
    ),
    "MERGE ... WHEN MATCHED DELETE": lambda t, i: (
        f"MERGE INTO {t} AS x USING (SELECT {i} AS id) AS y ON x.id = y.id WHEN MATCHED THEN DELETE"
    ),
}

TABLES = ["ledger_entry", "ledger_checkpoint"]


def _refused(sql: str) -> Exception:
    """Run one statement in its own savepoint (PostgreSQL aborts the transaction on error) and return the error."""
    with pytest.raises((IntegrityError, DatabaseError)) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    return caught.value


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", list(COMMON))
def test_raw_sql_is_refused_by_the_database(rows, table, statement):
    before = checksum()
    error = _refused(COMMON[statement](table, rows[table]))
    assert "append-only" in str(error)
    assert checksum() == before


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", list(SQLITE_ONLY))
def test_sqlite_replace_forms_are_refused(rows, table, statement):
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE / INSERT OR REPLACE / UPDATE OR REPLACE are SQLite syntax")
    before = checksum()
    error = _refused(SQLITE_ONLY[statement](table, rows[table]))
    assert "append-only" in str(error)
    assert checksum() == before


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", list(POSTGRES_ONLY))
def test_postgresql_truncate_and_merge_forms_are_refused(rows, table, statement):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE, UPDATE ... FROM, DELETE ... USING and MERGE are tested on PostgreSQL")
    before = checksum()
    error = _refused(POSTGRES_ONLY[statement](table, rows[table]))
    assert "append-only" in str(error)
    assert checksum() == before


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", ["UPDATE", "DELETE", "TRUNCATE"])
def test_postgresql_replica_role_does_not_switch_the_triggers_off(rows, table, statement):
    if connection.vendor != "postgresql":
        pytest.skip("session_replication_role is a PostgreSQL setting")
    sql = {
        "UPDATE": f"UPDATE {table} SET seq = seq + 1000 WHERE id = {rows[table]}",
        "DELETE": f"DELETE FROM {table} WHERE id = {rows[table]}",
        "TRUNCATE": f"TRUNCATE {table}",
    }[statement]
    before = checksum()
    try:
        with pytest.raises((IntegrityError, DatabaseError)) as caught:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
                cursor.execute("SHOW session_replication_role")
                assert cursor.fetchone()[0] == "replica"
                cursor.execute(sql)
        assert "append-only" in str(caught.value)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    assert checksum() == before


@pytest.mark.parametrize("table", TABLES)
def test_sqlite_refuses_replace_even_with_recursive_triggers_off(rows, table):
    """With recursive_triggers off, REPLACE deletes the old row without firing the delete trigger;
    the BEFORE INSERT guard must refuse it anyway (settings turn the pragma on, but a raw connection may not)."""
    if connection.vendor != "sqlite":
        pytest.skip("recursive_triggers is a SQLite pragma")
    before = checksum()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA recursive_triggers")
        original = cursor.fetchone()[0]
        cursor.execute("PRAGMA recursive_triggers = OFF")
        cursor.execute("PRAGMA recursive_triggers")
        assert cursor.fetchone()[0] == 0
    try:
        for with_id in (True, False):
            error = _refused(_copy("REPLACE INTO", table, rows[table], with_id=with_id))
            assert "append-only" in str(error)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA recursive_triggers = {int(original)}")
    assert checksum() == before


def test_inserting_a_new_row_is_still_allowed(rows):
    """The triggers refuse changes, not appends: a fresh (user, seq) row goes in."""
    with transaction.atomic(), connection.cursor() as cursor:
        columns, select = _copy_select("ledger_entry", rows["ledger_entry"], new_uid=True, with_id=False)
        select = select.replace("seq,", "seq + 1000,", 1)
        cursor.execute(f"INSERT INTO ledger_entry ({columns}) {select}")
        cursor.execute("SELECT COUNT(*) FROM ledger_entry WHERE seq > 1000")
        assert cursor.fetchone()[0] == 1
        transaction.set_rollback(True)
