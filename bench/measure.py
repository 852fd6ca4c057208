"""Statistics and the row every measurement ends as; timing helpers for in-process calls.

Nothing here imports Django at module level: the parent process (which only
renders) imports this module too.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Row:
    """One line of the table and of the JSON file.

    `scenario` is a stable key ("record.http.1c.large") for comparing runs;
    `size` is the number behind it (prior entries). Times are milliseconds.
    `reference` is the scenario key of the row this one is divided by (same
    engine); targets.evaluate fills `ratio`, `target` and `verdict`.
    """

    scenario: str
    label: str
    via: str  # "HTTP" or "in-process"
    size: int | None = None
    clients: int | None = None
    n: int | None = None
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    rate: float | None = None
    rate_unit: str = ""
    queries: int | None = None
    reference: str | None = None
    per: int | None = None  # the row's times are for this many items (verify_ledger: entries); ratios per item
    derived: bool = False  # a comparison of two rows (growth), not a measurement of its own
    ratio: dict[str, float] = field(default_factory=dict)
    target: str | None = None
    verdict: str | None = None  # PASS, MISS, or None (no target)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(latencies: list[float], **extra: Any) -> dict[str, Any]:
    """n, p50 and p95 (ms) of latencies in seconds."""
    return {
        "n": len(latencies),
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        **extra,
    }


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over rounds of each statistic; counts are summed."""
    out: dict[str, Any] = {"rounds": len(rounds)}
    for key in rounds[0]:
        values = [r[key] for r in rounds if r.get(key) is not None]
        if key in ("n", "good", "errors"):
            out[key] = sum(values)
        elif values and all(isinstance(v, int | float) for v in values):
            out[key] = statistics.median(values)
        else:
            out[key] = values[0] if values else None
    return out


MIN_CALLS = 10


def interleaved_samples(
    specs: list[tuple[str, Callable[[], Any]]], count: int, budget: float, warmup: int = 5
) -> dict[str, list[float]]:
    """Time each spec `count` times, one call of each in turn (alternating the order), so drift hits all alike.

    Stops early, after at least MIN_CALLS of each, once `budget` seconds have
    passed: a pathologically slow case shows in fewer samples instead of a run
    that never ends. Returns the latencies in seconds, per spec."""
    for _name, fn in specs:
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name, _ in specs}
    gc.collect()
    deadline = time.monotonic() + budget
    for i in range(count):
        if i >= MIN_CALLS and time.monotonic() > deadline:
            break
        for name, fn in specs if i % 2 == 0 else list(reversed(specs)):
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return samples


def interleaved(
    specs: list[tuple[str, Callable[[], Any]]], count: int, budget: float, warmup: int = 5
) -> dict[str, dict[str, Any]]:
    """`interleaved_samples`, summarized: n, p50 and p95 (ms) per spec."""
    return {name: summarize(values) for name, values in interleaved_samples(specs, count, budget, warmup).items()}


def query_count(fn: Callable[[], Any]) -> int:
    """SQL statements one call runs (BEGIN/COMMIT included where the driver logs them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)
