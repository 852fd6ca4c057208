"""The command line of the bench (`make bench`, `python -m bench`, or `bench/run.py`)."""

from __future__ import annotations

import argparse
import sys

from bench.common import DEFAULT_PG_URL, log

DESCRIPTION = """Shotlee benchmark: prints a Markdown table of latencies and throughput per engine, every row as a
ratio to references measured in the same run (a minimal Django view, a plain Django insert, a durable sqlite3
commit), with the performance targets, themselves ratios, marked PASS or MISS.

For each engine a child process creates its own database (SQLite: a file in a temp dir; PostgreSQL: the
database of --pg-url, dropped and created), migrates, registers users, seeds prior doses with a correct hash
chain and signed checkpoints (verify_ledger passes before anything is timed), runs the scenarios
(bench/scenarios: references; verify_ledger; record a dose in-process; history page and API list; record a
dose over HTTP at 1 and 8 clients; dense doses), and removes everything it created."""

# Options that take a value and must not reach the children (the parent handles them).
PARENT_ONLY = ("--engines", "--json")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few-minute smoke run: 10,000 prior doses at most, 1 round, short runs",
    )
    parser.add_argument("--engines", default="sqlite,pg", help="comma-separated: sqlite, pg (default both)")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL database to drop and create (default {DEFAULT_PG_URL})"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every row (with ratios and verdicts) to FILE")
    parser.add_argument("--rounds", type=int, help="rounds of each HTTP run; medians are reported (default 3, quick 1)")
    parser.add_argument("--large", type=int, help="largest history in doses (default 100000, quick 10000)")
    parser.add_argument("--mid", type=int, help="middle history in doses (default 10000, quick 1000)")
    parser.add_argument(
        "--dense", type=int, default=10_000, help="doses of each dense-history user (default 10000, quick too)"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: SQLite 2, PostgreSQL 3)")
    parser.add_argument(
        "--threads", type=int, help="gunicorn threads per worker; > 1 selects the gthread worker (default 1: sync)"
    )
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn runs")
    parser.add_argument(
        "--python-clients",
        action="store_true",
        help="load gunicorn with Python client threads even when wrk is installed (the default uses wrk)",
    )
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process runs")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario modules to run (e.g. scale); the references always run",
    )
    parser.add_argument("--tune", action="store_true", help="compare gunicorn worker setups at 8 clients and exit")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.rounds_used = args.rounds or (1 if args.quick else 3)
    args.large = args.large or (10_000 if args.quick else 100_000)
    args.mid = args.mid or (1_000 if args.quick else 10_000)
    if min(args.large, args.mid, args.dense, args.rounds_used) < 1:
        parser.error("--large, --mid, --dense and --rounds must be at least 1")
    if len({0, 100, args.mid, args.large}) < 4:
        parser.error("--mid and --large must differ from each other and from 100 (the small history)")
    args.passthrough = children_argv(argv)
    return args


def children_argv(argv: list[str]) -> list[str]:
    """The options as given, without those only the parent uses."""
    cleaned, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item in PARENT_ONLY:
            skip = True
            continue
        if item.startswith(tuple(f"{name}=" for name in PARENT_ONLY)):
            continue
        cleaned.append(item)
    return cleaned


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.child:
            from bench.engine import child

            return child(args)
        from bench.orchestrate import orchestrate

        return orchestrate(args)
    except KeyboardInterrupt:
        log("interrupted: servers stopped, benchmark databases removed")
        return 130
