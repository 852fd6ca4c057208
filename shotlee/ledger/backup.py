"""Online backups of the whole database, consistent while writes go on (reliability-plan B10, T56).

- SQLite: the online backup API (`sqlite3.Connection.backup`) in one step, so the copy is one read
  transaction's snapshot; never a copy of the open file, which can tear a page mid-write or leave out the WAL.
- PostgreSQL: `pg_dump --format=custom`, which reads one snapshot (REPEATABLE READ) of the whole database.

Either way the copy is written to a temporary name beside the target, synced, checked (SQLite:
`PRAGMA integrity_check` of the copy; PostgreSQL: `pg_restore --list` reads the archive back), and only then
renamed into place: a backup file that exists is complete. Files are created readable by their owner only:
they hold everyone's health data. Restoring is documented in docs/reliability.md ("Backup and restore").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump and pg_restore, with fixed argument lists
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection


class BackupError(Exception):
    """The backup could not be made or did not check out; the message says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    engine: str
    size: int
    seconds: float
    check: str  # what was checked on the copy, for the report


def default_path(vendor: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if vendor == "sqlite" else "dump"
    return Path(settings.DATA_DIR) / "backups" / f"shotlee-{stamp}.{suffix}"


def backup(target: Path | None = None) -> Backup:
    """Back up the default database to `target` (default: DATA_DIR/backups/shotlee-<UTC time>.<ext>)."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {vendor} database are not supported (SQLite or PostgreSQL)")
    path = Path(target) if target is not None else default_path(vendor)
    if path.exists():
        raise BackupError(f"{path} exists already: choose another name, a backup never overwrites one")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.partial")
    started = time.perf_counter()
    try:
        if vendor == "sqlite":
            _sqlite_copy(Path(str(connection.settings_dict["NAME"])), partial)
            check = _sqlite_check(partial)
        else:
            _pg_dump(connection.settings_dict, partial)
            check = _pg_check(partial)
        _fsync(partial)
        os.replace(partial, path)
        _fsync(path.parent)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, vendor, path.stat().st_size, time.perf_counter() - started, check)


def _sqlite_copy(source: Path, partial: Path) -> None:
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=20)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, under one read transaction, so the copy is one snapshot.
        # (Stepwise copies restart whenever another connection writes, and might never finish under load.)
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file; WAL is switched on again at open
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _sqlite_check(path: Path) -> str:
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
    finally:
        db.close()
    if rows != ["ok"]:
        raise BackupError("the copy failed PRAGMA integrity_check: " + "; ".join(rows[:5]))
    return "PRAGMA integrity_check: ok"


def pg_environment(db: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for the client tools (the password never on a command line)."""
    env = dict(os.environ)
    env.update(
        PGHOST=str(db.get("HOST") or "127.0.0.1"),
        PGPORT=str(db.get("PORT") or 5432),
        PGUSER=str(db.get("USER") or "postgres"),
        PGDATABASE=str(db["NAME"]),
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools "
            "(Debian and Ubuntu: apt-get install postgresql-client, the same major version as the server or newer)"
        )
    return found


def _pg_dump(db: dict[str, Any], partial: Path) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    cmd = [pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"]
    done = subprocess.run(cmd, env=pg_environment(db), capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {done.returncode}): {done.stderr.strip()[-1000:]}")


def _pg_check(path: Path) -> str:
    listed = subprocess.run(  # noqa: S603  # nosec B603  # pg_restore --list of our own backup file
        [pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0 or "TABLE DATA public ledger_entry" not in listed.stdout:
        raise BackupError(f"pg_restore cannot read the archive back: {listed.stderr.strip()[-1000:]}")
    items = sum(1 for line in listed.stdout.splitlines() if line and not line.startswith(";"))
    return f"pg_restore --list: {items} items, ledger tables included"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
