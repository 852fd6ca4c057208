"""Paths, logging and names shared by the parent and the children."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/shotlee_bench"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
