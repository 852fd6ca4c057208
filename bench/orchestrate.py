"""The parent process: one child process per engine (bench/engine.py), then the verdicts and the report.

Each engine runs in its own child because Shotlee reads its settings (the
database among them) from the environment at import. The child writes its
rows to a JSON file; the parent judges them (bench/targets.py) and renders
(bench/report.py). An interrupt reaches the child too, which stops its
servers and drops its database before exiting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import report, targets
from bench.common import ROOT, log
from bench.measure import Row

CHILD_TIMEOUT = 3 * 3600  # seconds: a run that takes longer is stuck


def pg_reachable(url: str) -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    parts = urlsplit(url)
    try:
        psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {parts.hostname}:{parts.port or 5432} ({str(exc).strip().splitlines()[0]})"
    return None


def parse_engines(raw: str) -> list[str]:
    names = {
        "sqlite": "sqlite",
        "sqlite3": "sqlite",
        "pg": "postgresql",
        "postgres": "postgresql",
        "postgresql": "postgresql",
    }
    engines = []
    for item in raw.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item not in names:
            raise SystemExit(f"unknown engine {item!r}: use sqlite and/or pg")
        if names[item] not in engines:
            engines.append(names[item])
    return engines


def machine_info() -> dict[str, Any]:
    import sqlite3

    import django
    import gunicorn

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn.__version__,
        "load": os.getloadavg()[0],
        "tmp_fs": filesystem_type(tempfile.gettempdir()),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of all cores busy over `seconds` (before a run: other work on the machine)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def filesystem_type(path: str) -> str:
    best, fstype = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            mount = fields[1]
            if os.path.realpath(path).startswith(mount) and len(mount) > len(best):
                best, fstype = mount, fields[2]
    except OSError:
        pass
    return fstype


def run_child(engine: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="shotlee-bench-out-") as out_dir:
        out = Path(out_dir) / "result.json"
        cmd = [sys.executable, "-m", "bench", "--child", engine, "--child-out", str(out), *args.passthrough]
        background = cpu_busy()
        log(f"{engine}: starting (CPU busy with other work: {background:.0%})")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT)
        try:
            code = proc.wait(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"{engine}: no result after {CHILD_TIMEOUT} s; stopping it")
            proc.terminate()  # the child's SIGTERM handler unwinds through its cleanup
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        except KeyboardInterrupt:
            # The child got the interrupt too: let it stop its servers and drop its database.
            log(f"{engine}: interrupted; waiting for the run to clean up")
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        if code != 0 or not out.exists():
            log(f"{engine}: the run failed (exit {code})")
            return {"failed": f"exit code {code}", "background_cpu": background}
        result = json.loads(out.read_text())
        result["background_cpu"] = background
        log(f"{engine}: done in {time.perf_counter() - t0:.0f} s")
        return result


def orchestrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    engines = parse_engines(args.engines)
    info = machine_info()
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for engine in engines:
        if engine == "postgresql":
            reason = pg_reachable(args.pg_url)
            if reason:
                skipped[engine] = reason
                log(f"SKIPPED PostgreSQL: {reason}")
                continue
        results[engine] = run_child(engine, args)
    elapsed = time.perf_counter() - started
    if args.tune:
        return 0
    for result in results.values():
        if not result.get("failed"):
            rows = targets.evaluate([Row.from_dict(r) for r in result.get("rows", [])])
            # References first (measured first and last, listed once), then the scenarios in the order they ran.
            result["rows"] = sorted(rows, key=lambda row: not row.scenario.startswith("ref."))
    print(report.render(info, results, skipped, args, elapsed))
    if args.json:
        report.write_json(Path(args.json), info, results, skipped, args, elapsed)
        log(f"rows written to {args.json}")
    failed = [e for e, r in results.items() if r.get("failed") or r.get("errors")]
    return 1 if failed else 0
