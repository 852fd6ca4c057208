"""Real servers and tools for the reliability tests: gunicorn on the test database, and the PostgreSQL client tools.

A test that needs one of them skips with the reason when it is missing, unless CI asks for everything
(SHOTLEE_REQUIRE_POSTGRES or SHOTLEE_REQUIRE_TOOLS set): then it fails, so CI cannot pass by skipping.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
READY_PATH = "/accounts/login/"


def need(available: bool, what: str) -> None:
    """Skip (or fail, when CI requires every tool) if `what` is missing."""
    if available:
        return
    message = f"{what} is not installed here, so this test cannot run"
    if require("SHOTLEE_REQUIRE_POSTGRES") or require("SHOTLEE_REQUIRE_TOOLS"):
        pytest.fail(message + " (and CI requires it: SHOTLEE_REQUIRE_POSTGRES / SHOTLEE_REQUIRE_TOOLS is set)")
    pytest.skip(message)


def need_gunicorn() -> None:
    need(importlib.util.find_spec("gunicorn") is not None, "gunicorn")


def need_pg_tools(*names: str) -> None:
    for name in names:
        need(shutil.which(name) is not None, f"{name} (PostgreSQL's client tools, Debian package postgresql-client)")


def database_url(name: str | None = None) -> str:
    """DATABASE_URL of the database the tests run on (or of another database `name` on the same server)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name or db['NAME']}"
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def app_env(url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a Shotlee process on the test database, with this process's keys."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=url or database_url(),
        LEDGER_KEY=settings.LEDGER_KEY.decode(),
        SECRET_KEY=settings.SECRET_KEY,
        DJANGO_SETTINGS_MODULE="shotlee.settings",
        LOG_LEVEL="ERROR",
        **extra,
    )
    return env


def manage(*args: str, url: str | None = None, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` in a process of its own, on the test database (or `url`)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=app_env(url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """Shotlee under gunicorn on 127.0.0.1, in its own process group so SIGKILL takes the master and its workers."""

    def __init__(self, log_path: Path, workers: int = 2, **env: str):
        self.env = env  # settings of the server's own, e.g. API_WRITES_PER_MINUTE for a load beyond a person's rate
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "gunicorn", "shotlee.wsgi:application", "-w", str(self.workers)]
        cmd += ["-b", f"127.0.0.1:{self.port}", "--no-control-socket", "--log-level", "warning", "--timeout", "60"]
        with open(self.log_path, "ab") as sink:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=app_env(**self.env), stdout=sink, stderr=sink, start_new_session=True
            )
        self.starts += 1

    def ready(self, timeout: float = 60.0) -> None:
        """Wait until the server answers (raises with the log's tail if it exits or stays silent)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", READY_PATH)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: {self.log_tail()}")

    def kill(self) -> None:
        """kill -9 of the whole server: master and workers, mid-request or not."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
