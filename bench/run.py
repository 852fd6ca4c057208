"""`bench/run.py [options]`: the same as `python -m bench [options]` from the repository root (see bench/cli.py)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this directory comes first on sys.path: put the repository root there instead, so that
# `bench` is the package and none of its modules can shadow a top-level one.
sys.path[:1] = [str(ROOT)]

from bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
