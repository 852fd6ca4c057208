"""The scenarios, one module each, in the order a run takes them.

Each module has `users(ctx)` (the bench users it needs: name -> UserSpec; a
name asked for by two modules must be the same spec) and a run function that
measures and adds rows to ctx (bench/engine.py, Engine). Users are created
and verified before the first step runs. The references are measured first
and again last, so drift during the run shows and averages out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.scenarios import charts, dense, reads, record_http, record_inprocess, references, scale, verify_ledger

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec


@dataclass(frozen=True)
class Step:
    name: str
    users: Callable[[Engine], dict[str, UserSpec]]
    run: Callable[[Engine], None]


def steps(ctx: Engine) -> list[Step]:
    """The scenarios in order; with --only, the ones named (by module) between the two reference passes."""
    chosen = {name.strip() for name in (getattr(ctx.args, "only", "") or "").split(",") if name.strip()}
    every = all_steps()
    if not chosen:
        return every
    return [s for s in every if s.run.__module__.rsplit(".", 1)[-1] in chosen | {"references"}]


def all_steps() -> list[Step]:
    return [
        Step("references, first pass", references.users, references.first),
        Step("verify_ledger", verify_ledger.users, verify_ledger.run),
        Step("record a dose in-process", record_inprocess.users, record_inprocess.run),
        Step("history page and API list", reads.users, reads.run),
        Step("record a dose over HTTP", record_http.users, record_http.run),
        Step("dense doses", dense.users, dense.run),
        Step("charts: dashboard and series at 100 entries and five years; the level curve", charts.users, charts.run),
        Step("scale: 1,000 users, 4 workers, 32 clients (PostgreSQL)", scale.users, scale.run),
        Step("references, second pass", references.users, references.second),
    ]
