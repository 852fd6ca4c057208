"""Dense doses: does recording one more dose cost more when the history around it is dense?

Two users on the same protocol, which carries a rolling cap (a 24 h window,
with a maximum no stream reaches), so the rules read every dose of the
compound within 24 h of the new one (the window read) and sum them:

- `dense_minute`: N doses one minute apart (the last 60 days ago); new doses
  follow on at the same pace, one minute after the last, so the 24 h before
  each holds 1,440 doses;
- `dense_day`: N doses one day apart (the last 2 days ago); new doses go into
  the gaps, half a day after a seeded one, walking back a day per request,
  so the 24 h around each holds 2 or 3 doses.

No minimum interval, distinct amounts, a cap never reached: no rule fires,
every answer must be 201. POST /api/v1/doses over HTTP, 1 client, the two
users taking turns run by run. Target: p95 with doses a minute apart ≤ 1.5×
p95 with doses a day apart (bench/targets.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bench.load import Case, Doses
from bench.measure import Row
from bench.seed import PROTOCOL, UserSpec

if TYPE_CHECKING:
    from bench.engine import Engine

WINDOW_HOURS = 24
DENSE_PROTOCOL = {
    **PROTOCOL,
    "name": "Bench dense semaglutide",
    "window_hours": WINDOW_HOURS,
    "window_max": "1000000",  # mg: the rule sums the window, and never fires
}


def users(ctx: Engine) -> dict[str, UserSpec]:
    if not ctx.http:
        return {}
    minute, day = timedelta(minutes=1), timedelta(days=1)
    return {
        "dense_minute": UserSpec(
            prior=ctx.dense,
            spacing=minute,
            last_at=-timedelta(days=60),
            stream_base=-timedelta(days=60),
            stream_step=minute,
            protocol=DENSE_PROTOCOL,
        ),
        "dense_day": UserSpec(
            prior=ctx.dense,
            spacing=day,
            last_at=-2 * day,
            stream_base=-2 * day + day / 2,
            stream_step=-day,
            protocol=DENSE_PROTOCOL,
        ),
    }


def run(ctx: Engine) -> None:
    if not ctx.http:
        return
    port = ctx.shotlee_server().port
    cases = [
        Case(name, port, [Doses(ctx.users[name].token, ctx.users[name].protocol_uid, ctx.users[name].stream)], 201)
        for name in ("dense_day", "dense_minute")
    ]
    stats = ctx.load.rounds(cases, ctx.long)
    for name, key, label, reference in (
        ("dense_day", "day", "a day apart", "ref.plain_insert.http.1c"),
        ("dense_minute", "minute", "a minute apart", "dense.http.1c.day"),
    ):
        s = stats[name]
        ctx.add(
            Row(
                f"dense.http.1c.{key}",
                f"POST /api/v1/doses, {ctx.dense:,} prior doses {label} ({WINDOW_HOURS} h rolling cap)",
                "HTTP",
                size=ctx.dense,
                clients=1,
                n=s["n"],
                errors=s["errors"],
                p50=s["p50"],
                p95=s["p95"],
                rate=s["rate"],
                rate_unit="doses/s",
                reference=reference,
            )
        )
