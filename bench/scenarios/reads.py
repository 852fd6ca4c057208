"""The history page (GET /history/) and the API list (GET /api/v1/doses), page 1, at 100 entries and at
the largest history.

In-process (Django's test Client), divided by the in-process minimal view,
with the SQL statements per request; the history page also as a worker's
first view of it (its memo of verified rows cleared before each request,
docs/ledger.md, Verify). Over HTTP, 1 client, divided by the minimal view
over HTTP, with a derived row per page: p95 at the largest ÷ p95 at 100.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.load import Case, Get
from bench.measure import Row, interleaved, query_count

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec

PAGES = {
    "history": ("/history/", "GET /history/ (page 1)"),
    "api_list": ("/api/v1/doses", "GET /api/v1/doses (page 1)"),
}


def users(ctx: Engine) -> dict[str, UserSpec]:
    from bench.seed import UserSpec

    return {"usmall": UserSpec(prior=ctx.small), "ularge": UserSpec(prior=ctx.large)}


def sizes(ctx: Engine) -> list[tuple[str, int]]:
    return [("usmall", ctx.small), ("ularge", ctx.large)]


# ---- in-process


def get_api(ctx: Engine, name: str) -> Callable[[], Any]:
    from django.test import Client

    client = Client()
    headers = {"Authorization": f"Bearer {ctx.users[name].token}"}

    def call() -> None:
        response = client.get("/api/v1/doses", headers=headers)
        if response.status_code != 200 or len(response.json()["items"]) != 50:
            raise AssertionError(f"GET /api/v1/doses answered {response.status_code}")

    return call


def get_history(ctx: Engine, name: str, first_view: bool = False) -> Callable[[], Any]:
    from django.test import Client

    from bench import app

    client = Client()
    client.force_login(ctx.users[name].user)

    def call() -> Any:
        if first_view:
            app.forget_verified()
        response = client.get("/history/")
        if response.status_code != 200:
            raise AssertionError(f"GET /history/ answered {response.status_code}")
        return response

    return call


def inprocess(ctx: Engine) -> None:
    from bench import app

    # Sanity: the seeded chains verify on the page that checks them.
    for name, _ in sizes(ctx):
        if "✓ Verified" not in get_history(ctx, name)().content.decode():
            raise AssertionError(f"the history page of {name} does not verify: the seeding is wrong")
    first_view = app.forget_verified()
    specs: list[tuple[str, Callable[[], Any]]] = []
    for name, _ in sizes(ctx):
        specs.append((f"history {name}", get_history(ctx, name)))
        if first_view:
            specs.append((f"history_first {name}", get_history(ctx, name, first_view=True)))
        specs.append((f"api_list {name}", get_api(ctx, name)))
    stats = interleaved(specs, 40 if ctx.quick else 200, ctx.budget)
    queries = {label: query_count(fn) for label, fn in specs}
    labels = {
        "history": PAGES["history"][1],
        "history_first": "GET /history/ (page 1, first view: nothing remembered as verified)",
        "api_list": PAGES["api_list"][1],
    }
    for kind, label in labels.items():
        for name, size in sizes(ctx):
            s = stats.get(f"{kind} {name}")
            if s is None:
                continue
            ctx.add(
                Row(
                    f"{kind}.inprocess.{ctx.size_name(size)}",
                    label,
                    "in-process",
                    size=size,
                    clients=1,
                    n=s["n"],
                    p50=s["p50"],
                    p95=s["p95"],
                    queries=queries[f"{kind} {name}"],
                    reference="ref.minimal_view.inprocess",
                )
            )


# ---- HTTP


def http(ctx: Engine) -> None:
    port = ctx.shotlee_server().port
    headers = {
        "history": {name: ("Cookie", ctx.session_cookie(name)) for name, _ in sizes(ctx)},
        "api_list": {name: ("Authorization", f"Bearer {ctx.users[name].token}") for name, _ in sizes(ctx)},
    }
    cases = [
        Case(f"{kind} {name}", port, [Get(PAGES[kind][0], headers[kind][name])])
        for kind in PAGES
        for name, _ in sizes(ctx)
    ]
    stats = ctx.load.rounds(cases, ctx.short)
    for kind, (_, label) in PAGES.items():
        rows = {}
        for name, size in sizes(ctx):
            s = stats[f"{kind} {name}"]
            rows[name] = ctx.add(
                Row(
                    f"{kind}.http.1c.{ctx.size_name(size)}",
                    label,
                    "HTTP",
                    size=size,
                    clients=1,
                    n=s["n"],
                    errors=s["errors"],
                    p50=s["p50"],
                    p95=s["p95"],
                    reference="ref.minimal_view.http.1c",
                )
            )
        large = rows["ularge"]
        ctx.add(
            Row(
                f"{kind}.http.growth",
                f"{label.split(' (')[0]}: at {ctx.large:,} ÷ at {ctx.small:,} entries",
                "HTTP",
                size=ctx.large,
                clients=1,
                n=large.n,
                errors=large.errors,
                p50=large.p50,
                p95=large.p95,
                reference=f"{kind}.http.1c.{ctx.size_name(ctx.small)}",
                derived=True,
            )
        )


def run(ctx: Engine) -> None:
    if ctx.inprocess:
        inprocess(ctx)
    if ctx.http:
        http(ctx)
