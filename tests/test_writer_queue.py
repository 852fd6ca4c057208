"""SQLite's writer queue (shotlee/ledger/durability.py): ledger writes wait their turn on the kernel file lock.

The queue only orders writers (the database lock is the guarantee), so nothing else would notice if it stopped
working; this test holds the lock itself and checks that a write waits for it."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from shotlee.ledger import durability
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the writer queue is SQLite's; PostgreSQL queues writers on the head row's lock")


def test_a_ledger_write_waits_while_another_holds_the_writer_queue(alice_api):
    protocol = make_protocol(alice_api)
    fd = os.open(durability.queue_path(), os.O_RDWR | os.O_CREAT, 0o600)
    done = threading.Event()
    answers = []

    def write():
        try:
            at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            answers.append(
                alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at})
            )
        finally:
            connections.close_all()
            done.set()

    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.5), "the write went ahead while the writer queue was held"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    started = time.monotonic()
    assert done.wait(10) and time.monotonic() - started < 5
    writer.join()
    assert answers[0].status_code == 201
