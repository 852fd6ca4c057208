"""References: what a request and a durable insert cost on this machine, in this run, before any of Shotlee's work.

Every other row is divided by one of these (bench/targets.py), so the table
reads the same on machines 3-5× apart:

- minimal Django view: GET of a JsonResponse, no middleware, no database
  (bench/minimal_app.py), over HTTP at 1 and 8 clients; in-process, the same
  view through Django's test Client;
- plain Django insert: one ORM create() per request, autocommit, on a
  persistent connection (CONN_MAX_AGE): over HTTP at 1 and 8 clients into a
  SQLite file (WAL, synchronous=FULL, as Shotlee opens its own) or into the
  bench's PostgreSQL database; in-process into Shotlee's own database;
- durable sqlite3 commit (SQLite only): BEGIN IMMEDIATE, INSERT, COMMIT with
  the sqlite3 module alone, WAL and synchronous=FULL: the disk's fsync cost.

They are measured twice, before the Shotlee scenarios and after them; each
figure is the median over the rounds of both passes, and how far the second
pass moved from the first is noted (a sign of other work on the machine).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, JsonResponse
from django.urls import path

from bench.load import Case, Get, Insert
from bench.measure import Row, combine, interleaved_samples, summarize

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec

MINIMAL_PATH = "/bench-minimal"


def users(ctx: Engine) -> dict[str, UserSpec]:
    return {}


# ---- the in-process minimal view: the test Client with one middleware, which routes to this module's URLs


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path(MINIMAL_PATH.lstrip("/"), ok)]


class MinimalUrls:
    """The only middleware of the in-process minimal view: its URLs are this module's, not Shotlee's."""

    def __init__(self, get_response: Any):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        request.urlconf = __name__
        return self.get_response(request)


def minimal_client() -> Any:
    from django.test import Client
    from django.test.utils import override_settings

    client = Client()
    with override_settings(MIDDLEWARE=[f"{__name__}.MinimalUrls"]):
        client.handler.load_middleware()  # the Client keeps this chain for every later request
    return client


@functools.cache
def note_model() -> Any:
    """A plain model in Shotlee's database (table bench_note), created once."""
    from django.db import connection, models

    class BenchNote(models.Model):
        text = models.CharField(max_length=200)
        created_at = models.DateTimeField()

        class Meta:
            app_label = "bench"
            db_table = "bench_note"

        def __str__(self) -> str:
            return self.text

    with connection.schema_editor() as editor:
        editor.create_model(BenchNote)
    return BenchNote


# ---- measuring


def inprocess_samples(ctx: Engine) -> dict[str, list[float]]:
    from django.utils import timezone

    note = note_model()
    client = minimal_client()

    def view() -> None:
        response = client.get(MINIMAL_PATH)
        if response.status_code != 200:
            raise AssertionError(f"the in-process minimal view answered {response.status_code}")

    def insert() -> None:
        note.objects.create(text="a plain row", created_at=timezone.now())

    return interleaved_samples([("minimal", view), ("insert", insert)], 100 if ctx.quick else 400, ctx.budget)


def sqlite3_commit_samples(ctx: Engine) -> list[float]:
    db = sqlite3.connect(ctx.tmp / "commit.sqlite3", isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        latencies = []
        for i in range(200 if ctx.quick else 1000):
            t0 = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t (text) VALUES (?)", (f"row {i}",))
            db.execute("COMMIT")
            latencies.append(time.perf_counter() - t0)
    finally:
        db.close()
    return latencies


def http_rounds(ctx: Engine) -> dict[str, list[dict[str, Any]]]:
    port = ctx.minimal_server().port
    cases = [
        Case("minimal.1c", port, [Get("/")]),
        Case("minimal.8c", port, [Get("/")] * 8),
        Case("insert.1c", port, [Insert()], expect=201),
        Case("insert.8c", port, [Insert()] * 8, expect=201),
    ]
    return ctx.load.rounds_raw(cases, ctx.short)


def measure(ctx: Engine) -> dict[str, Any]:
    found: dict[str, Any] = {"inprocess": inprocess_samples(ctx)}
    if ctx.engine == "sqlite":
        found["commit"] = sqlite3_commit_samples(ctx)
    if ctx.http:
        found["http"] = http_rounds(ctx)
    return found


def first(ctx: Engine) -> None:
    ctx.state["references"] = [measure(ctx)]


def second(ctx: Engine) -> None:
    passes = ctx.state.setdefault("references", [])
    passes.append(measure(ctx))
    emit(ctx, passes)


# ---- rows


def emit(ctx: Engine, passes: list[dict[str, Any]]) -> None:
    database = "SQLite, WAL, FULL" if ctx.engine == "sqlite" else "PostgreSQL"
    emit_inprocess(ctx, passes, database)
    if ctx.http:
        emit_http(ctx, passes, database)


def emit_inprocess(ctx: Engine, passes: list[dict[str, Any]], database: str) -> None:
    inproc = {name: summarize([x for p in passes for x in p["inprocess"][name]]) for name in ("minimal", "insert")}
    ctx.add(
        Row(
            "ref.minimal_view.inprocess",
            "reference: minimal Django view (test Client, no middleware)",
            "in-process",
            clients=1,
            **pick(inproc["minimal"]),
        )
    )
    ctx.add(
        Row(
            "ref.plain_insert.inprocess",
            f"reference: plain Django insert (ORM create, autocommit, {database})",
            "in-process",
            clients=1,
            **pick(inproc["insert"]),
            reference="ref.sqlite3_commit" if ctx.engine == "sqlite" else "ref.minimal_view.inprocess",
        )
    )
    if ctx.engine == "sqlite":
        commit = summarize([x for p in passes for x in p["commit"]])
        ctx.add(
            Row(
                "ref.sqlite3_commit",
                "reference: durable sqlite3 commit (WAL, FULL)",
                "in-process",
                clients=1,
                **pick(commit),
            )
        )


def emit_http(ctx: Engine, passes: list[dict[str, Any]], database: str) -> None:
    drift: list[str] = []
    for clients in (1, 8):
        for kind, label, unit in (
            ("minimal", "reference: minimal Django view (no middleware, no database)", "req/s"),
            ("insert", f"reference: plain Django insert (ORM create, autocommit, {database})", "inserts/s"),
        ):
            runs = [r for p in passes for r in p["http"][f"{kind}.{clients}c"]]
            stats = combine(runs)
            key = f"ref.{'minimal_view' if kind == 'minimal' else 'plain_insert'}.http.{clients}c"
            ctx.add(
                Row(
                    key,
                    label,
                    "HTTP",
                    clients=clients,
                    **pick(stats),
                    rate=stats["rate"],
                    rate_unit=unit,
                    reference=None if kind == "minimal" else f"ref.minimal_view.http.{clients}c",
                )
            )
            if len(passes) == 2 and all(p["http"][f"{kind}.{clients}c"] for p in passes):
                before = combine(passes[0]["http"][f"{kind}.{clients}c"])["p95"]
                after = combine(passes[1]["http"][f"{kind}.{clients}c"])["p95"]
                name = "minimal view" if kind == "minimal" else "plain insert"
                drift.append(f"{name} {clients}c p95 ×{after / before:.2f}")
    if drift:
        ctx.notes.append(
            "References, second pass (after the Shotlee scenarios) ÷ first pass: "
            + ", ".join(drift)
            + " (a value far from 1 means other work changed the machine's speed during the run: noisier ratios)."
        )


def pick(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "n": stats["n"],
        "p50": stats["p50"],
        "p95": stats["p95"],
        "errors": stats.get("errors", 0),
    }
