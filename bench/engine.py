"""One engine's run, in its own child process (Shotlee reads its settings from the environment at import).

It creates the database (SQLite: a file in a temp dir; PostgreSQL: the
database of --pg-url, dropped and created), migrates, creates the users every
scenario asks for (bench/seed.py), checks every chain with `verify_ledger`
before anything is timed, runs the scenarios in order (bench/scenarios), and
removes everything it created: servers, database, temp dir. The rows go back
to the parent as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT, log
from bench.load import Load
from bench.measure import Row
from bench.seed import BenchUser, UserSpec, create_user
from bench.servers import Server, Servers

# Gunicorn worker setups, chosen with `--tune` on a 2-core machine (see the report's notes).
# (workers, threads): threads > 1 means the gthread worker class (keep-alive), else sync.
DEFAULT_SERVER = {"sqlite": (2, 1), "postgresql": (3, 1)}
SETTINGS_MODULE = "shotlee.settings"
WSGI_APP = "shotlee.wsgi:application"
READY_PATH = "/accounts/login/"


class Engine:
    """What the scenarios get: the engine, the options, users, servers, the load and the rows."""

    def __init__(self, engine: str, args: argparse.Namespace):
        self.engine = engine
        self.args = args
        self.quick: bool = args.quick
        self.small = 100
        self.mid: int = args.mid
        self.large: int = args.large
        self.dense: int = args.dense
        self.http = not args.no_http
        self.inprocess = not args.no_inprocess
        self.tmp = Path(tempfile.mkdtemp(prefix="shotlee-bench-"))
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.state: dict[str, Any] = {}  # what a scenario keeps between its passes (references)
        self.pg_version: str | None = None
        self.server_setup = self.pick_server()
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.users: dict[str, BenchUser] = {}
        self.specs: dict[str, UserSpec] = {}
        self.servers = Servers(self.tmp)
        self.load = Load(self.servers, args.rounds_used, self.quick, args.python_clients, self.errors)
        self._shotlee: Server | None = None
        self._minimal: Server | None = None
        self.db_url = f"sqlite:///{self.tmp / 'bench.sqlite3'}" if engine == "sqlite" else args.pg_url
        self.env = {
            "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
            "LEDGER_KEY": "bench-ledger-key-not-for-production",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": self.db_url,
            "CONN_MAX_AGE": "600",
            "DATA_DIR": str(self.tmp / "data"),
            "LOG_LEVEL": "ERROR",
            "API_WRITES_PER_MINUTE": "1000000000",  # the limit is checked (its cost is measured), never reached
        }
        # Durations of one HTTP run (s): writes and dense doses, then reads and references.
        self.long = 1.5 if self.quick else 3.0
        self.short = 1.0 if self.quick else 2.0
        # Seconds an in-process block may take before it stops early (with fewer samples, shown in n).
        self.budget = 30.0 if self.quick else 120.0

    def pick_server(self) -> tuple[int, int]:
        workers, threads = DEFAULT_SERVER[self.engine]
        return self.args.workers or workers, self.args.threads or threads

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def size_name(self, size: int) -> str:
        """The stable name of a history size in row keys (the number itself is the row's `size`)."""
        return {0: "0", self.small: "small", self.mid: "mid", self.large: "large"}.get(size, str(size))

    # ---- databases

    def pg_admin(self) -> Any:
        import psycopg

        parts = urlsplit(self.db_url)
        return psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def pg_dbname(self) -> str:
        name = urlsplit(self.db_url).path.lstrip("/")
        if not name or name in ("postgres", "shotlee", "template0", "template1"):
            raise SystemExit(f"refusing to drop and create the database {name!r}: give a dedicated --pg-url")
        return name

    def create_database(self) -> None:
        if self.engine != "postgresql":
            return
        name = self.pg_dbname()
        with self.pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
            self.pg_version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            fsync = conn.execute("SHOW fsync").fetchone()[0]
            sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
        self.notes.append(
            f"PostgreSQL {self.pg_version}: fsync={fsync}, synchronous_commit={sync}; ANALYZE run after seeding "
            "(as autovacuum would)."
        )

    def drop_database(self) -> None:
        if self.engine == "postgresql":
            name = self.pg_dbname()
            with self.pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def setup_django(self) -> None:
        os.environ.update(self.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"{self.engine}: migrated in {time.perf_counter() - t0:.1f} s")

    def analyze(self) -> None:
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    # ---- users

    def create_users(self, specs: dict[str, UserSpec]) -> None:
        for name, spec in specs.items():
            known = self.specs.get(name)
            if known is not None:
                if known != spec:
                    raise ValueError(f"two scenarios ask for the user {name} with different histories")
                continue
            self.specs[name] = spec
            self.users[name] = create_user(name, spec, self.now)

    def session_cookie(self, name: str) -> str:
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(self.users[name].user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    # ---- servers (started on first use, stopped at the end)

    def server_env(self, minimal: bool = False) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        if minimal:
            env["MINIMAL_DB"] = str(self.tmp / "minimal.sqlite3") if self.engine == "sqlite" else self.db_url
        else:
            env.update(self.env)
            env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        return env

    def shotlee_server(self) -> Server:
        if self._shotlee is None or self._shotlee.proc.poll() is not None:
            self._shotlee = self.servers.start(WSGI_APP, self.server_env(), READY_PATH, self.server_setup)
        self.servers.current = self._shotlee
        return self._shotlee

    def minimal_server(self) -> Server:
        if self._minimal is None or self._minimal.proc.poll() is not None:
            self._minimal = self.servers.start(
                "bench.minimal_app:application", self.server_env(minimal=True), "/", self.server_setup
            )
        self.servers.current = self._minimal
        return self._minimal

    def stop_servers(self) -> None:
        self.servers.stop_all()
        self._shotlee = self._minimal = None

    # ---- the whole run

    def run(self) -> dict[str, Any]:
        from bench import scenarios, tune

        try:
            self.create_database()
            self.setup_django()
            t0 = time.perf_counter()
            if self.args.tune:
                self.create_users(tune.users(self))
                tune.run(self)
                return {"rows": [], "server": list(self.server_setup), "tuned": True}
            steps = scenarios.steps(self)
            for step in steps:
                self.create_users(step.users(self))
            self.analyze()
            log(f"{self.engine}: users and histories ready in {time.perf_counter() - t0:.1f} s")
            from bench import app

            app.verify_ledger()  # every seeded chain verifies before anything is timed (raises if not)
            for step in steps:
                log(f"{self.engine}: {step.name}")
                step.run(self)
            return {
                "rows": [row.as_dict() for row in self.rows],
                "notes": self.notes,
                "errors": self.errors,
                "server": list(self.server_setup),
                "pg_version": self.pg_version,
                "load": self.load.tool,
            }
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        self.stop_servers()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110
            pass
        try:
            self.drop_database()
        except Exception as exc:  # noqa: BLE001
            log(f"could not drop the benchmark database: {exc}")
        shutil.rmtree(self.tmp, ignore_errors=True)


def child(args: argparse.Namespace) -> int:
    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")  # unwinds through the cleanup

    signal.signal(signal.SIGTERM, stop)
    result = Engine(args.child, args).run()
    Path(args.child_out).write_text(json.dumps(result))
    return 0
