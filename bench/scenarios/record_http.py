"""Record a dose over HTTP: POST /api/v1/doses to gunicorn, 1 client (a user with no history, and one with the
largest) and 8 clients (8 users, one each), divided by the plain Django insert over HTTP at the same number of
clients (targets: bench/targets.py). The three cases take turns, run by run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.load import Case, Doses
from bench.measure import Row

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec

EIGHT = [f"c{i}" for i in range(8)]


def users(ctx: Engine) -> dict[str, UserSpec]:
    from bench.seed import UserSpec

    if not ctx.http:
        return {}
    return {"u0http": UserSpec(), "ularge": UserSpec(prior=ctx.large), **{name: UserSpec() for name in EIGHT}}


def doses(ctx: Engine, name: str) -> Doses:
    rec = ctx.users[name]
    return Doses(rec.token, rec.protocol_uid, rec.stream)


def run(ctx: Engine) -> None:
    if not ctx.http:
        return
    port = ctx.shotlee_server().port
    cases = [
        Case("1c.0", port, [doses(ctx, "u0http")], expect=201),
        Case("1c.large", port, [doses(ctx, "ularge")], expect=201),
        Case("8c", port, [doses(ctx, name) for name in EIGHT], expect=201),
    ]
    stats = ctx.load.rounds(cases, ctx.long)
    for tag, size, clients in (("1c.0", 0, 1), ("1c.large", ctx.large, 1), ("8c", 0, 8)):
        s = stats[tag]
        ctx.add(
            Row(
                f"record.http.{clients}c" + (f".{ctx.size_name(size)}" if clients == 1 else ""),
                "POST /api/v1/doses (record a dose" + (", 8 users)" if clients == 8 else ")"),
                "HTTP",
                size=size,
                clients=clients,
                n=s["n"],
                errors=s["errors"],
                p50=s["p50"],
                p95=s["p95"],
                rate=s["rate"],
                rate_unit="doses/s",
                reference=f"ref.plain_insert.http.{clients}c",
            )
        )
