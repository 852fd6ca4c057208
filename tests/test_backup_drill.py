"""T56: `manage.py backup` under write load, restored into a fresh database exactly as docs/reliability.md says,
then checked: every chain verifies (`manage.py verify_ledger` on the restored database), the triggers are there
(`manage.py check`), the copy passes its integrity check, and it holds a snapshot taken during the backup.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shotlee.accounts.services import issue_token
from shotlee.ledger.backup import pg_environment
from tests.conftest import Api, make_user
from tests.servers import database_url, manage, need_pg_tools

WRITERS = 4
PAUSE = 0.08  # seconds between one writer's doses: about 50 writes/s in all, as T56 asks


class Load:
    """Writer threads recording unique doses for their users until stopped (bounded by a deadline)."""

    def __init__(self, users):
        self.apis = [Api(issue_token(user)) for user in users]
        self.stop = threading.Event()
        self.acked: list[float] = []  # monotonic times of the 201s
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.start_at = datetime.now(UTC).replace(microsecond=0)

    def writer(self, i: int) -> None:
        api = self.apis[i % len(self.apis)]
        n = 0
        deadline = time.monotonic() + 60
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                n += 1
                body = {
                    "compound": "ibuprofen",
                    "unit": "mg",
                    "route": "oral",
                    "amount": f"{200 + i + n / 1000:.3f}",
                    "occurred_at": (self.start_at - timedelta(minutes=n * WRITERS + i)).isoformat(),
                }
                response = api.post("/api/v1/doses", body)
                with self.lock:
                    if response.status_code == 201:
                        self.acked.append(time.monotonic())
                    else:
                        self.errors.append(f"{response.status_code}: {response.content[:200]!r}")
                time.sleep(PAUSE)
        finally:
            connection.close()

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.writer, args=(i,), daemon=True) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        return threads

    def count_before(self, moment: float) -> int:
        with self.lock:
            return sum(1 for t in self.acked if t <= moment)


def restore_name() -> str:
    """A scratch database beside the test database (test_X -> X_restore), so each checkout has its own."""
    return re.sub(r"^test_", "", connection.settings_dict["NAME"]) + "_restore"


def pg_connect(dbname: str = "postgres"):
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=dbname,
        autocommit=True,
    )


def restore(backup_file, tmp_path) -> tuple[str, float]:
    """The restore of docs/reliability.md into a fresh database; returns its DATABASE_URL and the seconds taken."""
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        target = tmp_path / "restored.sqlite3"
        shutil.copyfile(backup_file, target)
        return f"sqlite:///{target}", time.perf_counter() - started
    name = restore_name()
    with pg_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    done = manage_pg_restore(backup_file, name)
    assert done.returncode == 0, done.stderr
    return url, time.perf_counter() - started


def manage_pg_restore(backup_file, name: str):
    env = pg_environment({**connection.settings_dict, "NAME": name})
    return subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={name}", str(backup_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def drop_restored() -> None:
    if connection.vendor == "postgresql":
        with pg_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restore_name()}" WITH (FORCE)')


def newest_recorded_at(url: str) -> datetime:
    if url.startswith("sqlite:"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            (value,) = db.execute("SELECT MAX(recorded_at) FROM ledger_entry").fetchone()
        finally:
            db.close()
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    with pg_connect(restore_name()) as db:
        (value,) = db.execute("SELECT MAX(recorded_at) FROM ledger_entry").fetchone()
    return value


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_under_write_load_restores_into_a_fresh_database_that_verifies(tmp_path):
    if connection.vendor == "postgresql":
        need_pg_tools("pg_dump", "pg_restore")
    alice, bob = make_user("alice"), make_user("bob")
    load = Load([alice, bob])
    threads = load.run()
    backup_file = tmp_path / ("drill.sqlite3" if connection.vendor == "sqlite" else "drill.dump")
    try:
        while load.count_before(time.monotonic()) < 20 and not load.errors:  # the load is under way
            time.sleep(0.05)
        out = io.StringIO()
        begun = time.monotonic()
        call_command("backup", "--output", str(backup_file), stdout=out)  # in-process: begun is when it reads
        ended = time.monotonic()
        time.sleep(0.3)  # writes go on after the backup too
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert load.errors == []
    backup_seconds = float(re.search(r"bytes, ([\d.]+) s;", out.getvalue()).group(1))
    before, after, total = load.count_before(begun), load.count_before(ended), len(load.acked)
    assert total > after, "no write came after the backup: the load did not run through it"

    try:
        url, restore_seconds = restore(backup_file, tmp_path)
        checked = manage("check", url=url)
        assert checked.returncode == 0, checked.stdout + checked.stderr  # ledger.E001: the triggers came back
        verified = manage("verify_ledger", url=url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "2 chain(s) checked, 0 problem(s)" in verified.stdout
        counts = [int(n) for n in re.findall(r"^ok   \w+: (\d+) entries", verified.stdout, re.M)]
        # The restored database is one snapshot from within the backup: every write acknowledged before it
        # began, none acknowledged after it ended.
        assert before <= sum(counts) <= after, (before, sum(counts), after)
        if url.startswith("sqlite:"):
            db = sqlite3.connect(url.removeprefix("sqlite:///"))
            try:
                assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            finally:
                db.close()
        age = datetime.now(UTC) - newest_recorded_at(url)
    finally:
        drop_restored()
    print(
        f"\nT56 backup drill ({connection.vendor}): {total} writes under load, {sum(counts)} in the backup "
        f"({before} acknowledged before it began, {after} before it ended); backup {backup_seconds:.2f} s, "
        f"restore {restore_seconds:.2f} s, data age at restore {age.total_seconds():.1f} s; verify ok"
    )


@pytest.mark.django_db(transaction=True)
def test_backup_writes_under_data_dir_by_default_and_never_overwrites(settings, tmp_path, alice):
    if connection.vendor == "postgresql":
        need_pg_tools("pg_dump", "pg_restore")
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("backup", stdout=out)
    made = re.search(r"backup written: (\S+) ", out.getvalue()).group(1)
    assert made.startswith(str(tmp_path / "backups" / "shotlee-"))
    assert (tmp_path / "backups").stat().st_mode & 0o077 == 0  # health data: owner only
    assert os.stat(made).st_mode & 0o077 == 0
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", made)
    assert not list((tmp_path / "backups").glob(".*partial"))


@pytest.mark.django_db(transaction=True)
def test_backup_without_pg_dump_says_what_to_install(monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump is the PostgreSQL backup; SQLite uses its own backup API")
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no client tools
    with pytest.raises(CommandError, match="pg_dump is not installed: install PostgreSQL's client tools"):
        call_command("backup", "--output", str(tmp_path / "x.dump"))
    assert not (tmp_path / "x.dump").exists()
