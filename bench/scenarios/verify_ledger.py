"""verify_ledger: `manage.py verify_ledger --user` over the largest history (a full recomputation of the chain and
its signed checkpoints), in-process. Its ratio is per entry, to the in-process minimal view."""

from __future__ import annotations

import gc
import statistics
import time
from typing import TYPE_CHECKING

from bench.measure import Row

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec


def users(ctx: Engine) -> dict[str, UserSpec]:
    from bench.seed import UserSpec

    return {"ularge": UserSpec(prior=ctx.large)}


def run(ctx: Engine) -> None:
    from bench import app

    name = "ularge"
    entries = ctx.users[name].prior + 1  # the doses and the protocol's start
    runs = []
    for _ in range(1 if ctx.quick else 3):
        gc.collect()
        t0 = time.perf_counter()
        app.verify_ledger(name)  # raises CommandError when the chain does not verify
        runs.append(time.perf_counter() - t0)
    median = statistics.median(runs)
    ctx.add(
        Row(
            f"verify_ledger.{ctx.size_name(ctx.large)}",
            "verify_ledger --user (full chain check; p95 column: slowest run)",
            "in-process",
            size=ctx.large,
            clients=1,
            n=len(runs),
            p50=median * 1000,
            p95=max(runs) * 1000,
            rate=entries / median,
            rate_unit="entries/s",
            per=entries,
            reference="ref.minimal_view.inprocess",
        )
    )
