"""Server memory while streaming the exports, at growing history sizes: flat means it does not grow with the history.

    .venv/bin/python bench/export_memory.py [--sizes 1000,10000,100000] [--pg-url postgres://.../shotlee_bench_me]

Not a scenario of `make bench` (it measures memory, not time against references): it seeds one user per size
with bench.seed (valid chains, seconds for 100,000 doses), then downloads each export through Django's test
client, reading the streamed body piece by piece, with tracemalloc on. The figure is tracemalloc's peak of
Python allocations during the download (what the server process holds for it), next to the bytes sent.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = ("/api/v1/export.json", "/api/v1/export.csv.zip", "/api/v1/export.fhir.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--pg-url", help="a PostgreSQL database the script may drop and create (default: SQLite)")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    workdir = tempfile.mkdtemp(prefix="shotlee-export-memory-")
    os.environ.update(
        SECRET_KEY="bench-secret-key",
        LEDGER_KEY="bench-ledger-key",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="testserver",
        DATA_DIR=workdir,
        DATABASE_URL=options.pg_url or f"sqlite:///{workdir}/export-memory.sqlite3",
        DJANGO_SETTINGS_MODULE="shotlee.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.seed import UserSpec, create_user

    setup_test_environment()
    if options.pg_url:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0, interactive=False)
    now = datetime.now(UTC)
    print(f"engine: {'PostgreSQL' if options.pg_url else 'SQLite'}")
    print("| export | entries | bytes sent | peak Python memory | time |")
    print("|---|---:|---:|---:|---:|")
    warm = create_user("warmup", UserSpec(prior=10), now)
    for path in EXPORTS:  # the first request imports and compiles what every later one reuses: not per-export memory
        list(Client(headers={"Authorization": f"Bearer {warm.token}"}).get(path).streaming_content)
    for size in sizes:
        user = create_user(f"mem{size}", UserSpec(prior=size), now)
        client = Client(headers={"Authorization": f"Bearer {user.token}"})
        for path in EXPORTS:
            tracemalloc.start()
            t0 = time.perf_counter()
            response = client.get(path)
            assert response.status_code == 200, path
            sent = sum(len(piece) for piece in response.streaming_content)
            elapsed = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"| {path} | {size + 1:,} | {sent / 1e6:,.1f} MB | {peak / 1e6:,.1f} MB | {elapsed:,.1f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
