"""Issue 12, item 3: with an append-only trigger dropped, the documented repair — `manage.py migrate` — works from
the real command line. (call_command("migrate") skips the system checks, which is how the failure hid: the
checks stopped migrate on the very error it repairs.) Run against a scratch database of the engine under test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from shotlee.ledger import triggers

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


class Scratch:
    """A database of its own for the commands to migrate and break, on the engine the suite runs on."""

    def __init__(self, tmp_path: Path, suffix: str = "repair", template: Scratch | None = None) -> None:
        """An empty database, or a copy of `template` (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
        PostgreSQL): migrating from nothing takes 3-5 s, so the module migrates once and each test gets a copy."""
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / f"{suffix}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            if template is not None:
                shutil.copyfile(template.path, self.path)  # its commands have exited: no -wal file is left
        else:
            s = connection.settings_dict
            self.name = f"{s['NAME']}_{suffix}"[:63]
            auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
            self.server = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
            self.url = f"{self.server}/{self.name}"
            self.sql(f'DROP DATABASE IF EXISTS "{self.name}"', db="postgres")
            copy = f' TEMPLATE "{template.name}"' if template is not None else ""
            self.sql(f'CREATE DATABASE "{self.name}"{copy}', db="postgres")

    def sql(self, statement: str, db: str | None = None) -> None:
        if self.vendor == "sqlite":
            import sqlite3

            with sqlite3.connect(self.path) as conn:
                conn.execute(statement)
        else:
            import psycopg

            with psycopg.connect(f"{self.server}/{db or self.name}", autocommit=True) as conn:
                conn.execute(statement)

    def drop(self, table: str, name: str) -> None:
        self.sql(f"DROP TRIGGER {name}" if self.vendor == "sqlite" else f"DROP TRIGGER {name} ON {table}")

    def close(self) -> None:
        if self.vendor != "sqlite":
            self.sql(f'DROP DATABASE IF EXISTS "{self.name}"', db="postgres")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A database migrated from nothing by the real command line, copied for each test and never changed."""
    db = Scratch(tmp_path_factory.mktemp("migrated"), suffix="migrated")
    try:
        done = manage(db.url, "migrate", "--noinput", "-v", "0")
        assert done.returncode == 0, done.stderr
        yield db
    finally:
        db.close()


@pytest.fixture
def scratch(migrated, tmp_path):
    db = Scratch(tmp_path, template=migrated)
    try:
        yield db
    finally:
        db.close()


def test_migrate_repairs_a_dropped_trigger_from_the_command_line(scratch):
    table, name = triggers.expected_triggers(scratch.vendor)[0]
    scratch.drop(table, name)

    refused = manage(scratch.url, "check")
    assert refused.returncode != 0
    assert "ledger.E001" in refused.stderr and name in refused.stderr

    repaired = manage(scratch.url, "migrate", "--noinput")
    assert repaired.returncode == 0, repaired.stderr
    assert name in repaired.stdout  # it says what it put back

    assert manage(scratch.url, "check").returncode == 0


def test_migrate_repairs_every_dropped_trigger(scratch):
    for table, name in triggers.expected_triggers(scratch.vendor):
        scratch.drop(table, name)
    assert manage(scratch.url, "check").returncode != 0
    repaired = manage(scratch.url, "migrate", "--noinput", "-v", "0")
    assert repaired.returncode == 0, repaired.stderr
    checked = manage(scratch.url, "check")
    assert checked.returncode == 0, checked.stderr
