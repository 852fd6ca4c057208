"""The performance targets, as ratios to references measured in the same run, and their evaluation.

Machines differ 3-5×, so no target is an absolute time: each row is divided
by a reference row of the same engine and run (a minimal Django view, a plain
Django insert, or another Shotlee row), and a target bounds that ratio. The
same targets hold on every engine, each against its own references.

`evaluate` fills each row's `ratio` (p50, p95 and rate divided by its
reference's), `target` and `verdict`; it works on rows read back from a JSON
file as well, so a later session can re-judge an old run.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass

from bench.measure import Row


@dataclass(frozen=True)
class Check:
    metric: str  # "p95" or "rate": the row's value divided by the reference's
    op: str  # "<=" or ">="
    bound: float

    def holds(self, ratio: float | None) -> bool:
        if ratio is None or math.isnan(ratio):
            return False
        return ratio <= self.bound if self.op == "<=" else ratio >= self.bound

    @property
    def text(self) -> str:
        return f"{self.metric} {'≤' if self.op == '<=' else '≥'} {self.bound:g}×"


@dataclass(frozen=True)
class Target:
    scenario: str  # a row key, or a pattern (fnmatch)
    reference: str  # the row key it is divided by
    checks: tuple[Check, ...]
    why: str  # the wording, for the summary

    @property
    def text(self) -> str:
        return ", ".join(check.text for check in self.checks)


TARGETS = (
    Target(
        "record.http.1c.*",
        "ref.plain_insert.http.1c",
        (Check("p95", "<=", 3.0),),
        "record a dose over HTTP, 1 client: p95 ≤ 3× the plain Django insert's",
    ),
    Target(
        "record.http.8c",
        "ref.plain_insert.http.8c",
        (Check("rate", ">=", 0.5), Check("p95", "<=", 3.0)),
        "record a dose over HTTP, 8 clients: throughput ≥ 0.5× the plain insert's, p95 ≤ 3× its p95",
    ),
    Target(
        "history.http.1c.large",
        "ref.minimal_view.http.1c",
        (Check("p95", "<=", 12.0),),
        "history page at the largest history: p95 ≤ 12× the minimal view's",
    ),
    Target(
        "api_list.http.1c.large",
        "ref.minimal_view.http.1c",
        (Check("p95", "<=", 12.0),),
        "API list at the largest history: p95 ≤ 12× the minimal view's",
    ),
    Target(
        "history.http.growth",
        "history.http.1c.small",
        (Check("p95", "<=", 1.2),),
        "history page: p95 at the largest history ≤ 1.2× at 100 entries",
    ),
    Target(
        "api_list.http.growth",
        "api_list.http.1c.small",
        (Check("p95", "<=", 1.2),),
        "API list: p95 at the largest history ≤ 1.2× at 100 entries",
    ),
    Target(
        "dense.http.1c.minute",
        "dense.http.1c.day",
        (Check("p95", "<=", 1.5),),
        "dense doses: recording one more with doses a minute apart ≤ 1.5× with doses a day apart",
    ),
    Target(
        "charts.*.inprocess.large",
        "ref.minimal_view.inprocess",
        (Check("p95", "<=", 25.0),),
        "charts: the dashboard and each series endpoint for five years of daily doses ≤ 25× the minimal view's p95",
    ),
    Target(
        "charts.*.growth",
        "charts.*.inprocess.small",  # each growth row names its own: charts.<kind>.inprocess.small
        (Check("p95", "<=", 1.2),),
        "charts: five years of doses ≤ 1.2× the 100-entry user",
    ),
    Target(
        "charts.levels.recurrence",
        "charts.levels.direct",
        (Check("p95", "<=", 0.02),),
        "level curve for 1,825 doses at 43,800 hourly points ≤ 2 % of the direct double loop's time",
    ),
)


def target_for(scenario: str) -> Target | None:
    return next((t for t in TARGETS if fnmatch.fnmatchcase(scenario, t.scenario)), None)


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def ratios(row: Row, ref: Row) -> dict[str, float]:
    per = row.per or 1
    out = {
        "p50": _div(None if row.p50 is None else row.p50 / per, ref.p50),
        "p95": _div(None if row.p95 is None else row.p95 / per, ref.p95),
        "rate": _div(row.rate, ref.rate) if row.per is None else None,
    }
    return {k: round(v, 4) for k, v in out.items() if v is not None}


def evaluate(rows: list[Row]) -> list[Row]:
    """Fill ratio, target and verdict of every row (rows of one engine), in place; returns them."""
    by_key = {row.scenario: row for row in rows}
    for row in rows:
        target = target_for(row.scenario)
        if target is not None and "*" not in target.reference:  # a pattern: the row names its own reference
            row.reference = target.reference
        ref = by_key.get(row.reference) if row.reference else None
        row.ratio = ratios(row, ref) if ref is not None else {}
        if target is None:
            row.target, row.verdict = None, None
            continue
        row.target = target.text
        if ref is None:
            row.verdict = "MISS"
            row.note = (row.note + "; " if row.note else "") + f"reference {target.reference} was not measured"
            continue
        ok = all(check.holds(row.ratio.get(check.metric)) for check in target.checks)
        ok = ok and not row.errors and not ref.errors  # a failed request makes any figure suspect
        row.verdict = "PASS" if ok else "MISS"
    return rows
