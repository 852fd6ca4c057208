"""Gunicorn servers for the HTTP scenarios: start on a free port, wait until they answer, stop them (and their
workers) for sure.

Every server is started in its own session, so a stuck one is killed with its
workers by process group; `Servers.stop_all` runs in the child's cleanup.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, log

START_TIMEOUT = 30.0


def server_label(setup: tuple[int, int] | list[int]) -> str:
    workers, threads = setup
    if threads > 1:
        return f"{workers} gthread workers × {threads} threads"
    return f"{workers} sync worker{'s' if workers != 1 else ''}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_HAS_NO_CONTROL_SOCKET: bool | None = None


def gunicorn_has_no_control_socket() -> bool:
    """gunicorn 27 opens a control socket unless told not to; older versions lack the flag."""
    global _HAS_NO_CONTROL_SOCKET
    if _HAS_NO_CONTROL_SOCKET is None:
        text = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        _HAS_NO_CONTROL_SOCKET = "--no-control-socket" in text
    return _HAS_NO_CONTROL_SOCKET


def gunicorn_cmd(app: str, port: int, setup: tuple[int, int]) -> list[str]:
    workers, threads = setup
    cmd = [sys.executable, "-m", "gunicorn", app, "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    cmd += ["--log-level", "warning"]
    if threads > 1:
        cmd += ["-k", "gthread", "--threads", str(threads)]
    if gunicorn_has_no_control_socket():
        cmd.append("--no-control-socket")
    return cmd


@dataclass
class Server:
    app: str
    proc: subprocess.Popen
    port: int
    log_path: Path

    def log_tail(self, lines: int = 6) -> str:
        if not self.log_path.exists():
            return ""
        text = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        return " / ".join(text[-lines:])


class Servers:
    """The gunicorn servers of one engine's run."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: list[Server] = []
        self.current: Server | None = None  # the last started: its log is quoted with HTTP errors

    def start(self, app: str, env: dict[str, str], ready_path: str, setup: tuple[int, int]) -> Server:
        port = free_port()
        log_path = self.log_dir / f"gunicorn-{port}.log"
        with open(log_path, "ab") as sink:  # gunicorn's and Django's error output (tracebacks of any 500)
            proc = subprocess.Popen(
                gunicorn_cmd(app, port, setup), env=env, cwd=ROOT, stdout=sink, stderr=sink, start_new_session=True
            )
        server = Server(app, proc, port, log_path)
        self.running.append(server)
        self.current = server
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", ready_path)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.1)
        self.stop(server)
        raise RuntimeError(f"gunicorn {app} did not answer on port {port} within {START_TIMEOUT:.0f} s")

    def stop(self, server: Server) -> None:
        proc = server.proc
        if proc.poll() is None:
            proc.terminate()  # gunicorn: graceful shutdown of the master and its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: the master and its workers
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        if server in self.running:
            self.running.remove(server)
        if self.current is server:
            self.current = None

    def stop_all(self) -> None:
        for server in list(self.running):
            try:
                self.stop(server)
            except Exception as exc:  # noqa: BLE001
                log(f"could not stop gunicorn {server.proc.pid}: {exc}")
