"""The report: a Markdown table per engine, notes on method, the targets' verdicts, and the JSON file.

Nothing here measures; it renders rows the children measured and
bench/targets.py judged.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from bench.common import ENGINE_NAMES
from bench.measure import Row
from bench.servers import server_label
from bench.targets import target_for

JSON_VERSION = 1

SHORT_REFERENCES = {
    "ref.minimal_view": "minimal view",
    "ref.plain_insert": "plain insert",
    "ref.sqlite3_commit": "sqlite3 commit",
    "dense.http.1c.day": "doses a day apart",
}


def fmt_ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def reference_name(key: str | None, rows: dict[str, Row]) -> str:
    if not key:
        return "—"
    for prefix, name in SHORT_REFERENCES.items():
        if key.startswith(prefix):
            return name
    ref = rows.get(key)
    if ref is not None and ref.size is not None:
        return f"at {ref.size:,} entries"
    return key


def verdict_text(row: Row) -> str:
    if row.verdict is None:
        return "—"
    return "PASS" if row.verdict == "PASS" else f"**{row.verdict}**"


def ratio_text(row: Row) -> str:
    if not row.ratio:
        return "—"
    text = f"{fmt_ratio(row.ratio.get('p50'))} / {fmt_ratio(row.ratio.get('p95'))}"
    target = target_for(row.scenario)
    if "rate" in row.ratio and target is not None and any(c.metric == "rate" for c in target.checks):
        text += f" · rate {fmt_ratio(row.ratio['rate'])}"
    if row.per:
        text = f"per entry: {text}"
    return text


def rate_text(row: Row) -> str:
    if row.rate is None:
        return "—"
    return f"{row.rate:,.0f} {row.rate_unit}".strip()


def table(rows: list[Row]) -> list[str]:
    by_key = {row.scenario: row for row in rows}
    lines = [
        "| Scenario | Via | Prior entries | Clients | n | p50 ms | p95 ms | Rate | ÷ reference p50 / p95 | Reference "
        "| Queries | Target (ratio) | Result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|",
    ]
    for row in rows:
        n = "—" if row.n is None else f"{row.n:,}"
        if row.errors:
            n += f" ({row.errors:,} failed)"
        cells = [
            row.label + (f" ({row.note})" if row.note and row.verdict is None else ""),
            row.via,
            "—" if row.size is None else f"{row.size:,}",
            "—" if row.clients is None else str(row.clients),
            n,
            fmt_ms(row.p50),
            fmt_ms(row.p95),
            rate_text(row),
            ratio_text(row),
            reference_name(row.reference, by_key),
            "—" if row.queries is None else str(row.queries),
            row.target or "—",
            verdict_text(row),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def method_notes(args: argparse.Namespace, load: str) -> list[str]:
    large = f"{args.large:,}"
    return [
        "**How it was measured**",
        "",
        "- Every row is divided by a reference measured in the same run on the same engine (÷ reference: the row's "
        "p50 and p95 over the reference's; rate over rate where a target bounds it), and every target bounds such a "
        "ratio (bench/targets.py): machines differ 3-5× in absolute times. The references (minimal Django view, plain "
        "Django insert, durable sqlite3 commit) are measured before the Shotlee scenarios and again after them; their "
        "figures are medians over both passes.",
        "- Prior entries: each user has one protocol entry, then that many past doses seeded with a correct hash chain "
        "and signed checkpoints (`verify_ledger` passes before anything is timed). Benchmark doses have distinct "
        "amounts and times on a protocol with no minimum interval and no cap they reach, so no rule fires and every "
        "response must be 201 (failed ones are counted, and fail the row's target).",
        "- In-process: Django's test Client (or the service call) in the benchmark process; the cases of a block take "
        "turns, one call each, so drift affects them alike. Queries: SQL statements per request.",
        (
            "- HTTP: gunicorn on 127.0.0.1 with DEBUG=0 and CONN_MAX_AGE=600, loaded by wrk (`bench/wrk_load.lua`), "
            "one connection per client (sync workers close it after each response, so each request reconnects, "
            "references included); latency is wrk's, from writing the request to reading the whole response."
            if load == "wrk"
            else "- HTTP: gunicorn on 127.0.0.1 with DEBUG=0 and CONN_MAX_AGE=600; clients are threads with "
            "http.client in the benchmark process (wrk is not installed, or `--python-clients`: they take CPU from "
            "the server and add their own GIL waits to the latencies)."
        )
        + " Each client is its own user. The cases of a scenario (e.g. the user with 0 and the one with "
        f"{large} prior doses) take turns run by run, after a warm-up, so they are measured under the same "
        f"conditions; medians over {args.rounds_used} round(s).",
        f"- Dense doses: {args.dense:,} doses one minute apart against {args.dense:,} one day apart, on a protocol "
        "with a 24 h rolling cap, so the rules read and sum every dose within 24 h of the new one "
        "(bench/scenarios/dense.py).",
        (
            "- Gunicorn setup: set on the command line (`--workers`/`--threads`)."
            if args.workers or args.threads
            else "- Gunicorn setup: chosen with `--tune` (1-4 sync workers, gthread 2×4, 1×8, 4×2, at 8 clients, with "
            "wrk): on SQLite 2 sync workers gave the most doses/s, one writer at a time; on PostgreSQL 2-4 sync "
            "workers land within 7 % and 3 are used. Override with `--workers N --threads T`."
        ),
        "- SQLite runs without ANALYZE statistics, as a fresh deployment would.",
        "- The history page checks the hash and signed checkpoint of each entry it shows on every view; a worker "
        "remembers rows it has verified (docs/ledger.md, Verify), so repeated views of one page recompute none. The "
        "in-process 'first view' rows clear that memo before each request.",
    ]


def measured(row: Row, ref: Row | None) -> str:
    """The checked ratios of a target row, with the figures they divide."""
    target = target_for(row.scenario)
    if ref is None or target is None:
        return "not measured"
    parts = []
    for check in target.checks:
        value = row.ratio.get(check.metric)
        mine, theirs = getattr(row, check.metric), getattr(ref, check.metric)
        if check.metric == "rate":
            figures = f"{mine or 0:,.0f} {row.rate_unit} ÷ {theirs or 0:,.0f} {ref.rate_unit}"
        else:
            figures = f"{fmt_ms(mine)} ÷ {fmt_ms(theirs)} ms"
        parts.append(f"{check.metric} {fmt_ratio(value)}× ({figures})")
    return ", ".join(parts)


def render(
    info: dict[str, Any],
    results: dict[str, Any],
    skipped: dict[str, str],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    lines = header(info, results, args, elapsed)
    for engine, reason in skipped.items():
        lines += [f"{ENGINE_NAMES[engine]} skipped: {reason}.", ""]
    summary: list[tuple[str, Row, dict[str, Row]]] = []
    for engine, result in results.items():
        lines += engine_section(engine, result)
        if not result.get("failed"):
            by_key = {row.scenario: row for row in result["rows"]}
            summary += [(engine, row, by_key) for row in result["rows"] if row.verdict is not None]
    if any(not r.get("failed") for r in results.values()):
        load = next((r["load"] for r in results.values() if r.get("load")), "not run")
        lines += method_notes(args, load)
        lines.append("")
    if summary:
        lines += ["**Targets** (ratios to references measured in the same run)", ""]
        for engine, row, by_key in summary:
            target = target_for(row.scenario)
            why = target.why if target else row.target
            where = f"{row.size:,} prior entries" if row.size is not None else ""
            lines.append(
                f"- {verdict_text(row)} {ENGINE_NAMES[engine]} · {why} — measured "
                f"{measured(row, by_key.get(row.reference or ''))} · `{row.scenario}`{f', {where}' if where else ''}"
                + (f" ({row.errors:,} failed requests)" if row.errors else "")
                + (f"; {row.note}" if row.note else "")
            )
        lines.append("")
    return "\n".join(lines)


def header(info: dict[str, Any], results: dict[str, Any], args: argparse.Namespace, elapsed: float) -> list[str]:
    """The run's first lines: the machine, versions, server setup, load tool, and a warning if the CPU was busy."""
    lines = []
    pg = next((r["pg_version"] for r in results.values() if r.get("pg_version")), None)
    servers = ", ".join(
        f"{ENGINE_NAMES[e]}: {server_label(r['server'])}" for e, r in results.items() if r.get("server")
    )
    load = next((r["load"] for r in results.values() if r.get("load")), "not run")
    lines.append(
        f"**Shotlee bench** — {info['when']} · {info['cores']} cores ({info['cpu']}) · "
        f"Python {info['python']} · Django {info['django']} · SQLite {info['sqlite']} "
        f"(temp dir on {info['tmp_fs']}, WAL, synchronous=FULL) · "
        f"PostgreSQL {pg or 'not run'} · gunicorn {info['gunicorn']} ({servers or 'not run'}) · "
        f"load: {load} · {'quick' if args.quick else 'default'} run, medians of {args.rounds_used} round(s) · "
        f"largest history {args.large:,} · total {elapsed:.0f} s"
    )
    busy = [(e, r["background_cpu"]) for e, r in results.items() if r.get("background_cpu") is not None]
    if any(b > 0.15 for _, b in busy):
        shown = ", ".join(f"{b:.0%} before {ENGINE_NAMES[e]}" for e, b in busy)
        lines += [
            "",
            f"⚠ Other work was using the CPU ({shown}): the figures below are noisy; rerun on a quiet machine.",
        ]
    lines.append("")
    return lines


def engine_section(engine: str, result: dict[str, Any]) -> list[str]:
    """One engine's table, notes and errors."""
    name = ENGINE_NAMES[engine]
    lines = [f"### {name}", ""]
    if result.get("failed"):
        return lines + [f"The {name} run failed ({result['failed']}); see the log above.", ""]
    lines += table(result["rows"])
    lines.append("")
    lines += [f"- {note}" for note in result.get("notes", [])]
    if result.get("notes"):
        lines.append("")
    if result.get("errors"):
        lines += [f"**Errors:** {'; '.join(result['errors'])}", ""]
    return lines


def write_json(
    path: Path,
    info: dict[str, Any],
    results: dict[str, Any],
    skipped: dict[str, str],
    args: argparse.Namespace,
    elapsed: float,
) -> None:
    """Every row of every engine, flat, with the run's context: what a later session compares runs with."""
    document = {
        "version": JSON_VERSION,
        "machine": info,
        "options": {
            "quick": args.quick,
            "rounds": args.rounds_used,
            "large": args.large,
            "mid": args.mid,
            "dense": args.dense,
            "workers": args.workers,
            "threads": args.threads,
            "python_clients": args.python_clients,
            "no_http": args.no_http,
            "no_inprocess": args.no_inprocess,
        },
        "elapsed_s": round(elapsed, 1),
        "engines": {
            engine: {
                key: result.get(key)
                for key in ("failed", "server", "pg_version", "load", "background_cpu", "notes", "errors")
                if result.get(key) is not None
            }
            for engine, result in results.items()
        },
        "skipped": skipped,
        "rows": [
            {"engine": engine, **row.as_dict()} for engine, result in results.items() for row in result.get("rows", [])
        ],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
