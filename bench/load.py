"""HTTP load: wrk (a C load generator, `bench/wrk_load.lua`) when installed, else Python client threads.

A `Case` is one load to run against one server: its clients (each a GET, a
plain insert, or a stream of doses for one user) and the status every answer
must have. `Load.rounds` runs cases after a warm-up, then in turn, round after
round, so drift on a shared machine hits them alike, and reports per case the
median of each statistic over the rounds. Every run is bounded: wrk by its
duration and timeout, the Python clients by their deadline and socket timeout.
"""

from __future__ import annotations

import gc
import http.client
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.common import BENCH_DIR
from bench.measure import combine, summarize
from bench.servers import Servers

REQUEST_TIMEOUT = 30  # seconds: wrk's --timeout and the Python clients' socket timeout


class DoseStream:
    """Distinct dose times and amounts for one user: dose k at base + k × step, amount 1 + k/1000 mg.

    Times never repeat and no two doses share an amount, so possible_duplicate
    cannot fire; the protocols used have no minimum interval and either no
    rolling cap or one no stream reaches, so no rule fires and every answer
    must be 201. The position is shared by the in-process calls, the Python
    clients and wrk (which is told where to start and moved past what it sent).
    """

    def __init__(self, base: datetime, step: timedelta):
        self.base = base.replace(microsecond=0)
        self.step = step
        self.position = 0
        self.lock = threading.Lock()

    def take(self) -> int:
        with self.lock:
            self.position += 1
            return self.position

    def next(self) -> tuple[datetime, Decimal]:
        k = self.take()
        return self.base + k * self.step, Decimal(1000 + k).scaleb(-3)

    def body(self, protocol_uid: str) -> bytes:
        at, amount = self.next()
        return json.dumps({"protocol": protocol_uid, "amount": str(amount), "occurred_at": at.isoformat()}).encode()

    def skip(self, count: int) -> None:
        with self.lock:
            self.position += count


@dataclass
class Get:
    path: str
    header: tuple[str, str] | None = None  # a session cookie or a bearer token


@dataclass
class Insert:
    path: str = "/insert"


@dataclass
class Doses:
    token: str
    protocol: str  # uid
    stream: DoseStream


ClientSpec = Get | Insert | Doses


@dataclass
class Case:
    tag: str
    port: int
    clients: list[ClientSpec]
    expect: int = 200


Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def requester(spec: ClientSpec) -> Callable[[], Request]:
    if isinstance(spec, Get):
        headers = dict([spec.header]) if spec.header else {}
        return lambda: ("GET", spec.path, None, headers)
    if isinstance(spec, Insert):
        return lambda: ("POST", spec.path, b"a plain row", {"Content-Type": "text/plain"})
    headers = {"Authorization": f"Bearer {spec.token}", "Content-Type": "application/json"}
    return lambda: ("POST", "/api/v1/doses", spec.stream.body(spec.protocol), headers)


class Load:
    def __init__(self, servers: Servers, rounds: int, quick: bool, python_clients: bool, errors: list[str]):
        self.servers = servers
        self.rounds_count = rounds
        self.quick = quick
        self.wrk = None if python_clients else shutil.which("wrk")
        self.errors = errors

    @property
    def tool(self) -> str:
        return "wrk" if self.wrk else "Python client threads"

    def rounds_raw(self, cases: list[Case], duration: float) -> dict[str, list[dict[str, Any]]]:
        """Each case warmed up, then the cases in turn, round after round; per tag the statistics of each round."""
        for case in cases:
            self.run(case, 0.5 if self.quick else 1.0)
        found: dict[str, list[dict[str, Any]]] = {case.tag: [] for case in cases}
        for _ in range(self.rounds_count):
            for case in cases:
                gc.collect()
                found[case.tag].append(self.run(case, duration))
        return found

    def rounds(self, cases: list[Case], duration: float) -> dict[str, dict[str, Any]]:
        """`rounds_raw`, combined: per tag the median of each statistic over the rounds."""
        return {tag: combine(runs) for tag, runs in self.rounds_raw(cases, duration).items()}

    def run(self, case: Case, duration: float) -> dict[str, Any]:
        return self.run_wrk(case, duration) if self.wrk else self.run_python(case, duration)

    # ---- wrk

    def wrk_args(self, case: Case) -> list[str]:
        kinds = {type(spec) for spec in case.clients}
        if len(kinds) != 1:
            raise ValueError(f"case {case.tag}: wrk runs one kind of client per case")
        first = case.clients[0]
        if isinstance(first, Get):
            return ["get", first.path, *(first.header or ())]
        if isinstance(first, Insert):
            return ["insert", first.path]
        args = ["doses"]
        for spec in case.clients:
            assert isinstance(spec, Doses)
            args += [
                spec.token,
                spec.protocol,
                str(int(spec.stream.base.timestamp())),
                str(int(spec.stream.step.total_seconds())),
                str(spec.stream.position),
            ]
        return args

    def run_wrk(self, case: Case, duration: float) -> dict[str, Any]:
        clients = len(case.clients)
        seconds = max(1, round(duration))  # wrk takes whole seconds
        script_args = self.wrk_args(case)
        cmd = [self.wrk, f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", f"{REQUEST_TIMEOUT}s"]
        cmd += ["-s", str(BENCH_DIR / "wrk_load.lua"), f"http://127.0.0.1:{case.port}", "--", *script_args]
        out = None
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 30)
        finally:
            sent = self._sent(out)
            for spec in case.clients:
                if isinstance(spec, Doses):
                    spec.stream.skip(sent + 1)  # each thread sent at most the total: move every stream past it
        line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
        if line is None:
            raise RuntimeError(
                f"wrk printed no summary (exit {out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}"
            )
        f = {k: int(float(v)) for k, v in (item.split("=") for item in line.split()[1:])}
        errors = f["status_errors"] + f["socket_errors"]
        if errors:
            tail = self.servers.current.log_tail() if self.servers.current else ""
            self.errors.append(
                f"{case.tag}: {errors} of {f['requests']} requests failed (wrk {' '.join(script_args[:2])})"
                + (f" | server log: {tail}" if tail else "")
            )
        good = f["requests"] - errors
        return {
            "n": f["requests"],
            "p50": f["p50_us"] / 1000,
            "p95": f["p95_us"] / 1000,
            "good": good,
            "errors": errors,
            "rate": good / (f["duration_us"] / 1e6),
        }

    @staticmethod
    def _sent(out: Any) -> int:
        """Requests wrk sent (its summary line), or a generous bound when it printed none."""
        if out is not None:
            for item in out.stdout.split():
                if item.startswith("requests="):
                    return int(item.split("=")[1])
        return 1_000_000

    # ---- Python client threads

    def run_python(self, case: Case, duration: float) -> dict[str, Any]:
        """Each client (a thread with its own connection, kept alive when the worker allows) sends requests for
        `duration` s after a short warm-up; latency is from sending the request to reading the whole response."""
        clients = len(case.clients)
        makers = [requester(spec) for spec in case.clients]
        results: list[dict[str, Any]] = [{} for _ in range(clients)]
        barrier = threading.Barrier(clients + 1)
        timing: dict[str, float] = {}

        def client(i: int) -> None:
            make = makers[i]
            conn = http.client.HTTPConnection("127.0.0.1", case.port, timeout=REQUEST_TIMEOUT)
            samples: list[tuple[float, int]] = []
            first_error = ""

            def one(keep: bool) -> None:
                nonlocal first_error
                method, path, body, headers = make()
                t0 = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()  # sync workers close after each response; http.client reconnects
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, data = -1, repr(exc).encode()
                elapsed = time.perf_counter() - t0
                if status != case.expect and not first_error:
                    first_error = f"{method} {path} -> {status}: {data[:200]!r}"
                if keep:
                    samples.append((elapsed, status))

            barrier.wait()
            while time.perf_counter() < timing["start"]:
                one(False)
            while time.perf_counter() < timing["end"]:
                one(True)
            results[i] = {"samples": samples, "error": first_error, "finished": time.perf_counter()}
            conn.close()

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        now = time.perf_counter()
        timing["start"] = now + min(0.3, duration / 4)
        timing["end"] = timing["start"] + duration
        barrier.wait()
        for t in threads:
            t.join(timeout=duration + REQUEST_TIMEOUT + 30)
        return self._judge(case, results, timing["start"], timing["end"])

    def _judge(self, case: Case, results: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
        """The clients' samples as one summary; answers that were not the expected status become errors."""
        clients = len(results)
        done = [r for r in results if r]
        samples = [x for r in done for x in r["samples"]]
        wall = max((r["finished"] for r in done), default=end) - start
        latencies = [elapsed for elapsed, _ in samples]
        good = sum(1 for _, status in samples if status == case.expect)
        error_text = next((r["error"] for r in done if r["error"]), "")
        if error_text or len(done) < clients:
            tail = self.servers.current.log_tail() if self.servers.current else ""
            self.errors.append(
                f"{case.tag}: {len(samples) - good} of {len(samples)} responses were not {case.expect}"
                + (f", {clients - len(done)} client(s) did not finish" if len(done) < clients else "")
                + f"; first: {error_text}"
                + (f" | server log: {tail}" if tail else "")
            )
        return summarize(latencies, good=good, errors=len(latencies) - good, rate=good / max(wall, 1e-9))
