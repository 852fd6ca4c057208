"""The SQLite write tuning, behind one seam: `ledger_transaction()` (PostgreSQL gets a plain durable transaction).

Two measures, each for a bench row ("POST /api/v1/doses, HTTP, 8 clients"):

1. **Writer queue.** SQLite has one writer at a time; a blocked BEGIN waits in
   SQLite's busy handler, which sleeps and polls (1 ms, 2 ms, 5 ms ...), so
   under load most of the time went to sleeping. Ledger writers queue on a
   kernel file lock (`flock`) before BEGIN IMMEDIATE, which wakes the next
   writer the moment the lock is free. The database lock stays the guarantee;
   this only orders the queue.

2. **Durable before acknowledged, without holding SQLite's write lock through the fsync (group commit).**

SQLite in WAL mode with `synchronous=FULL` fsyncs the WAL inside COMMIT, while
it still holds the database's only write lock: every other writer waits for
the disk as well as for the work. On the 2-core bench machines that fsync was
a third of the time the lock was held.

So a ledger transaction runs with `synchronous=NORMAL` (COMMIT writes the WAL
frames to the OS and releases the lock at once) and `write()` fsyncs the WAL
itself after the lock is released and before it returns, so nothing is
acknowledged before it is on disk. This is what FULL does, in a different
order: the one sync FULL adds is "the WAL after each commit" (SQLite's
documentation of `PRAGMA synchronous`). While one writer waits for the disk the
next one works, and one fsync can cover several commits.

Why it is safe:

* fsync flushes the file (the inode), whichever descriptor wrote to it.
* A transaction is in the WAL after every transaction that committed before it,
  so whatever it read is flushed by the same fsync, or was flushed earlier.
  After a power loss SQLite replays the WAL up to the last complete commit: a
  later transaction cannot survive without an earlier one it saw.
* A checkpoint moves frames into the database file; with NORMAL SQLite syncs
  the WAL before and the database after each checkpoint, so frames that left
  the WAL are durable there.
* When the last connection closes, SQLite deletes the WAL; the next write
  creates a new file, whose directory entry must reach the disk too. A new
  WAL file (or one that was unlinked) is noticed, and its directory is synced
  once.

Every other write (sessions, settings) keeps `synchronous=FULL`: the pragma is
switched back as soon as the ledger transaction ends.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

from shotlee.ledger import sql

_files: dict[str, int] = {}
_files_gate = threading.Lock()
_queue_gate = threading.Lock()
_queue_files: dict[str, int] = {}


@contextmanager
def ledger_transaction() -> Iterator[None]:
    """The outermost, durable transaction of one ledger write (with the SQLite tuning on SQLite)."""
    with group_commit(), writer_queue(), transaction.atomic(durable=True):
        yield


def queue_path() -> str:
    return str(connection.settings_dict["NAME"]) + ".writers"


@contextmanager
def writer_queue() -> Iterator[None]:
    """On SQLite, wait for the kernel file lock that orders ledger writers (1. above) before BEGIN IMMEDIATE."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    path = queue_path()
    with _queue_gate:  # flock is per open file, so threads of one process queue here first
        fd = _queue_files.get(path)
        if fd is None:
            fd = _queue_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _set_synchronous(level: str) -> None:
    with sql.cursor() as cursor:
        cursor.execute(f"PRAGMA synchronous={level}", [])


def sync_wal(database: str) -> None:
    """fsync the WAL of `database` (and its directory, the first time a WAL file is seen)."""
    path = database + "-wal"
    with _files_gate:  # held through the fsync: no thread closes a descriptor another is syncing
        fd = _files.get(path)
        if fd is not None and os.fstat(fd).st_nlink == 0:  # that WAL was deleted (and maybe made again)
            os.close(_files.pop(path))
            fd = None
        if fd is None:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                return  # no WAL: checkpointed and removed on close, and synced by SQLite when it was
            _files[path] = fd
            directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        os.fsync(fd)


@contextmanager
def group_commit() -> Iterator[None]:
    """Around one ledger transaction (outside the writer queue): NORMAL inside, then back to FULL and fsync the WAL.

    Does nothing on PostgreSQL (it flushes its WAL at COMMIT and groups
    concurrent commits itself) or inside an outer transaction (tests).
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    database = str(connection.settings_dict["NAME"])
    _set_synchronous("NORMAL")
    try:
        yield
    finally:
        try:
            _set_synchronous("FULL")
        except DatabaseError:
            connection.close()  # a broken connection: its replacement starts with FULL (init_command)
        sync_wal(database)
