"""`--tune`: compare gunicorn worker setups at 8 clients recording doses, print a table, and exit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.load import Case
from bench.report import fmt_ms
from bench.scenarios import record_http
from bench.servers import server_label

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec

CONFIGS = [(1, 1), (2, 1), (3, 1), (4, 1), (2, 4), (1, 8), (4, 2)]
DURATION = 3.0


def users(ctx: Engine) -> dict[str, UserSpec]:
    from bench.seed import UserSpec

    return {"u0http": UserSpec(), **{name: UserSpec() for name in record_http.EIGHT}}


def run(ctx: Engine) -> None:
    from bench.engine import READY_PATH, WSGI_APP

    print(
        f"\nTuning on {ctx.engine}: 8 clients recording doses (8 users), {DURATION:.0f} s per setup, after 1 s "
        f"warm-up, load: {ctx.load.tool}\n"
    )
    print("| gunicorn setup | doses/s | p50 ms | p95 ms | 1-client p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for setup in CONFIGS:
        server = ctx.servers.start(WSGI_APP, ctx.server_env(), READY_PATH, setup)
        try:
            eight = Case("8c", server.port, [record_http.doses(ctx, name) for name in record_http.EIGHT], 201)
            one = Case("1c", server.port, [record_http.doses(ctx, "u0http")], 201)
            ctx.load.run(eight, 1.0)  # warm-up
            eight_stats = ctx.load.run(eight, DURATION)
            one_stats = ctx.load.run(one, 2.0)
        finally:
            ctx.servers.stop(server)
        print(
            f"| {server_label(setup)} | {eight_stats['rate']:,.0f} | {fmt_ms(eight_stats['p50'])} | "
            f"{fmt_ms(eight_stats['p95'])} | {fmt_ms(one_stats['p95'])} |",
            flush=True,
        )
