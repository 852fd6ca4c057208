"""Record a dose in-process, with 0, mid and largest prior doses: record_dose() (the service: rules, chain,
commit) and POST /api/v1/doses through Django's test Client (the whole stack but the server and the socket).

The calls of all six cases take turns, one each, so drift hits them alike.
Divided by the in-process plain Django insert.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.measure import Row, interleaved, query_count

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec


def users(ctx: Engine) -> dict[str, UserSpec]:
    from bench.seed import UserSpec

    if not ctx.inprocess:
        return {}
    return {"u0": UserSpec(), "umid": UserSpec(prior=ctx.mid), "ularge": UserSpec(prior=ctx.large)}


def service(ctx: Engine, name: str) -> Callable[[], Any]:
    from bench import app

    rec = ctx.users[name]

    def call() -> None:
        at, amount = rec.stream.next()
        app.record(rec.user, rec.protocol, amount, rec.unit, at)

    return call


def post(ctx: Engine, name: str) -> Callable[[], Any]:
    from django.test import Client

    rec = ctx.users[name]
    client = Client()
    headers = {"Authorization": f"Bearer {rec.token}"}

    def call() -> None:
        body = rec.stream.body(rec.protocol_uid)
        response = client.post("/api/v1/doses", body, content_type="application/json", headers=headers)
        if response.status_code != 201:
            raise AssertionError(f"POST /api/v1/doses answered {response.status_code}: {response.content[:300]!r}")

    return call


def run(ctx: Engine) -> None:
    if not ctx.inprocess:
        return
    sizes = [("u0", 0), ("umid", ctx.mid), ("ularge", ctx.large)]
    specs: list[tuple[str, Callable[[], Any]]] = []
    for name, _ in sizes:
        specs.append((f"service {name}", service(ctx, name)))
        specs.append((f"post {name}", post(ctx, name)))
    stats = interleaved(specs, 60 if ctx.quick else 400, ctx.budget)
    queries = {label: query_count(fn) for label, fn in specs}
    for kind, key, label in (
        ("service", "record.service", "record_dose() (rules + chain + commit)"),
        ("post", "record.post.inprocess", "POST /api/v1/doses (test Client)"),
    ):
        for name, size in sizes:
            s = stats[f"{kind} {name}"]
            ctx.add(
                Row(
                    f"{key}.{ctx.size_name(size)}",
                    label,
                    "in-process",
                    size=size,
                    clients=1,
                    n=s["n"],
                    p50=s["p50"],
                    p95=s["p95"],
                    queries=queries[f"{kind} {name}"],
                    reference="ref.plain_insert.inprocess",
                )
            )
