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

from bench.scenarios import dense, reads, record_http, record_inprocess, references, verify_ledger

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec


@dataclass(frozen=True)
class Step:
    name: str
    users: Callable[[Engine], dict[str, UserSpec]]
    run: Callable[[Engine], None]


def steps(ctx: Engine) -> list[Step]:
    return [
        Step("references, first pass", references.users, references.first),
        Step("verify_ledger", verify_ledger.users, verify_ledger.run),
        Step("record a dose in-process", record_inprocess.users, record_inprocess.run),
        Step("history page and API list", reads.users, reads.run),
        Step("record a dose over HTTP", record_http.users, record_http.run),
        Step("dense doses", dense.users, dense.run),
        Step("references, second pass", references.users, references.second),
    ]
