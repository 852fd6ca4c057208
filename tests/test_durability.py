"""Group commit on SQLite: a ledger write is on disk before it is acknowledged, and the fsync is not made under the lock.

A power loss cannot be staged in a test, so these check the order of events
that makes the guarantee (shotlee/ledger/durability.py): the transaction runs
with synchronous=NORMAL, commits, releases the writer queue, switches back to
FULL, and fsyncs the WAL before `write()` returns. `transaction=True`: inside a
test's outer transaction the ledger would not commit at all.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from shotlee.ledger import durability
from shotlee.ledger import services as ledger
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("group commit is the SQLite write path; PostgreSQL flushes and groups its WAL at COMMIT itself")


def synchronous() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return cursor.fetchone()[0]


def writer_queue_is_free() -> bool:
    fd = os.open(str(connection.settings_dict["NAME"]) + ".writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@pytest.fixture
def fsyncs(monkeypatch):
    """Every fsync the write path makes: the file's path and the state of the transaction at that moment."""
    calls: list[dict] = []
    real = os.fsync

    def spy(fd: int) -> None:
        calls.append(
            {
                "path": os.readlink(f"/proc/self/fd/{fd}"),
                "in_transaction": connection.in_atomic_block,
                "queue_free": writer_queue_is_free(),
                "synchronous": synchronous(),
            }
        )
        real(fd)

    monkeypatch.setattr(durability.os, "fsync", spy)
    return calls


def dose_body(protocol: dict, hours_ago: int) -> dict:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    return {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at.isoformat()}


def test_a_recorded_dose_is_synced_after_commit_outside_the_lock_and_before_the_response(alice_api, fsyncs):
    protocol = make_protocol(alice_api)
    fsyncs.clear()
    wal = os.path.realpath(str(connection.settings_dict["NAME"]) + "-wal")

    response = alice_api.post("/api/v1/doses", dose_body(protocol, 200))

    assert response.status_code == 201
    synced = [c for c in fsyncs if c["path"] == wal]
    assert synced, f"the WAL was not fsynced before the response; fsyncs: {fsyncs}"
    assert all(not c["in_transaction"] for c in synced)  # after COMMIT
    assert all(c["queue_free"] for c in synced)  # the next writer was not kept waiting for the disk
    assert all(c["synchronous"] == 2 for c in synced)  # FULL again for every other write


def test_the_ledger_transaction_runs_with_normal_and_full_is_restored(alice, fsyncs):
    seen = {}

    def action(head):
        seen["inside"] = synchronous()
        return ledger.Outcome(200, {})

    assert synchronous() == 2  # FULL, from the connection's init_command
    ledger.write(alice, action)

    assert seen["inside"] == 1  # NORMAL: COMMIT does not fsync while holding SQLite's write lock
    assert synchronous() == 2
    assert fsyncs, "write() returned without syncing the WAL"


def test_full_is_restored_and_the_wal_synced_when_the_action_fails(alice, fsyncs):
    class Refused(Exception):
        pass

    def action(head):
        raise Refused

    with pytest.raises(Refused):
        ledger.write(alice, action)

    assert synchronous() == 2
    assert fsyncs


def test_a_new_wal_file_gets_its_directory_synced(alice_api, fsyncs):
    protocol = make_protocol(alice_api)
    database = str(connection.settings_dict["NAME"])
    directory = os.path.realpath(os.path.dirname(database))
    wal = database + "-wal"

    connection.close()  # the last connection: SQLite checkpoints and deletes the WAL
    assert not os.path.exists(wal)
    fsyncs.clear()

    assert alice_api.post("/api/v1/doses", dose_body(protocol, 400)).status_code == 201

    paths = [c["path"] for c in fsyncs]
    assert directory in paths, paths  # the new WAL's directory entry
    assert os.path.realpath(wal) in paths
    assert paths.index(directory) < paths.index(os.path.realpath(wal))

    fsyncs.clear()
    assert alice_api.post("/api/v1/doses", dose_body(protocol, 100)).status_code == 201
    assert [c["path"] for c in fsyncs] == [os.path.realpath(wal)]  # the same file: no directory sync again


def test_the_same_order_holds_when_queries_are_logged(alice_api, fsyncs):
    """With DEBUG (make run) or a query counter, the statements go through Django's cursor instead."""
    from django.test.utils import CaptureQueriesContext

    protocol = make_protocol(alice_api)
    fsyncs.clear()
    with CaptureQueriesContext(connection) as logged:
        assert alice_api.post("/api/v1/doses", dose_body(protocol, 200)).status_code == 201

    statements = [q["sql"] for q in logged.captured_queries]
    insert = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO ledger_entry"))
    assert statements.index("PRAGMA synchronous=NORMAL") < insert < statements.index("PRAGMA synchronous=FULL")
    assert fsyncs and all(not c["in_transaction"] and c["queue_free"] for c in fsyncs)
