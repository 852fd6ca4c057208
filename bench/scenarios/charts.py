"""Charts (issue 10): the dashboard and the series endpoints for a user with 100 entries and a user with five
years of daily doses, and the level curve against a direct double loop.

Users, made here (they need the guides and metric readings, which UserSpec does not seed):

- `charts_small`: daily oral finasteride from its guide (a level curve with an absorption rate), 48 doses and
  10 days of the 5 metrics below: about 100 entries;
- `charts_5y`: the same protocol with 1,825 daily doses, 5 metrics read daily for those five years (9,125
  readings), and doses on a second, stopped protocol up to `ctx.large` ledger entries in all (100,000 by default;
  the dashboard does not show a stopped protocol, the history holds it).

Rows, in-process through the test Client, divided by the in-process minimal view (targets: p95 ≤ 25× at five
years; the five-year user ≤ 1.2× the 100-entry user):

- `charts.dashboard.*`: GET / (signed in);
- `charts.protocol.*`: GET /api/v1/charts/protocols/{id} (its default range, 90 days);
- `charts.metric.*`: GET /api/v1/charts/metrics?type=weight (90 days);
- `charts_all.protocol.*`, `charts_all.metric.*`: the same with range=all, reported without a target: every dose
  and reading since the start is read, so it grows with the history by design;
- `charts_first.dashboard.*`, `charts_first.protocol.*`: the dashboard and the protocol series as the first view
  after a write (the memo of derived data, shotlee/ledger/memo.py, cleared before each request), reported without a
  target: the rows above are repeat views, which the memo answers while the ledger's head stays put;

and `charts.levels.recurrence` ÷ `charts.levels.direct`: lib.levels.curve for 1,825 doses at hourly points
(43,800) against the direct double sum over the same doses and points (target ≤ 0.02×). The double loop takes
minutes in Python, so it is timed on every 100th point and multiplied by 100 (its cost is linear in the points).
Run it alone with `--only charts`.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench.common import log
from bench.measure import Row, interleaved, query_count

if TYPE_CHECKING:
    from bench.engine import Engine
    from bench.seed import UserSpec

YEARS_OF_DAYS = 1825
METRICS = (("weight", "Weight", "kg", "82.5"), ("resting_hr", "Resting heart rate", "bpm", "61"),
           ("body_fat", "Body fat", "%", "18.2"), ("waist", "Waist", "cm", "86"), ("glucose", "Glucose", "mmol/L", "5.2"))  # fmt: skip
DIRECT_SAMPLE = 100
# The 100-entry user: 48 daily doses and 10 days of the 5 metrics (with its protocol's start and version, 100).
SMALL_DOSES, SMALL_READING_DAYS = 48, 10


def users(ctx: Engine) -> dict[str, UserSpec]:
    return {}


def _protocol(user: Any, regimen: str = "daily-1-mg", name: str = "") -> Any:
    from bench import app
    from shotlee.guides.models import Guide
    from shotlee.protocols.services import settings_from_guide

    settings = settings_from_guide(Guide.objects.get(slug="finasteride-oral"), regimen)
    settings["starts_on"] = "2020-01-01"
    if name:
        settings["name"] = name
    return app.start_protocol(user, settings)


def _spec(protocol: Any) -> dict[str, Any]:
    current = protocol.current
    return {"compound": current.compound, "name": current.name, "dose": str(current.dose), "unit": str(current.unit),
            "route": current.route, "sites": current.sites}  # fmt: skip


def _readings(user: Any, now: datetime, days: int) -> None:
    """Five metrics a day for `days` days, through the ledger's own append (hashes and checkpoints as in use)."""
    from shotlee.ledger import services as ledger
    from shotlee.lib.units import to_micro

    def action(head: Any) -> ledger.Outcome:
        for day in range(days):
            at = now - timedelta(days=days - day, hours=-7)
            for key, name, unit, value in METRICS:
                ledger.append(
                    head,
                    kind="metric",
                    occurred_at=at,
                    compound=key,
                    amount_micro=to_micro(Decimal(value)),
                    unit=unit,
                    data={
                        "type": key,
                        "name": name,
                        "value": value,
                        "value2": None,
                        "unit": unit,
                        "entered": {},
                        "warnings": [],
                        "note": "",
                        "lab": False,
                        "since_last_dose": [],
                    },  # fmt: skip
                )
        return ledger.Outcome(201, {})

    ledger.write(user, action)


def seed_users(ctx: Engine) -> dict[str, tuple[Any, Any]]:
    from django.core.management import call_command

    from bench import app
    from bench.seed import seed
    from shotlee.protocols.models import Protocol
    from shotlee.protocols.services import change_protocol

    call_command("load_guides", verbosity=0)
    now = datetime.now(UTC)
    made: dict[str, tuple[Any, Any]] = {}
    for name, doses in (("charts_small", SMALL_DOSES), ("charts_5y", YEARS_OF_DAYS)):
        user = app.new_user(name, "bench horse battery staple 42")
        protocol = _protocol(user)
        times = [now - timedelta(days=doses - j, hours=-1) for j in range(doses)]
        seed(name, user, protocol, _spec(protocol), times)
        made[name] = (user, protocol)
    _readings(made["charts_small"][0], now, SMALL_READING_DAYS)
    user, protocol = made["charts_5y"]
    t0 = time.perf_counter()
    days = YEARS_OF_DAYS if not ctx.quick else 365
    _readings(user, now, days)
    log(f"seeded {days * len(METRICS):,} readings for charts_5y in {time.perf_counter() - t0:.1f} s")
    filler = max(0, ctx.large - YEARS_OF_DAYS - days * len(METRICS) - 2)
    if filler:
        old = _protocol(user, "proscar-5-mg-daily", "Bench stopped protocol")
        times = [now - timedelta(days=YEARS_OF_DAYS + 1, minutes=filler - j) for j in range(filler)]
        seed("charts_5y filler", user, old, _spec(old), times)
        old = Protocol.objects.get(pk=old.pk)
        change_protocol(user, old, json.loads(old.settings), stop=True)  # a recorded stop, as the page does
    return made


def _get(user: Any, path: str, token: str | None = None, first: bool = False) -> Any:
    """A GET as a callable; with `first`, the worker's chart memo is cleared before it, as by a write (the head
    moves, so the next view computes afresh)."""
    from django.test import Client

    from bench import app

    client = Client()
    headers = {}
    if token is None:
        client.force_login(user)
    else:
        headers["Authorization"] = f"Bearer {token}"

    def call() -> None:
        if first:
            app.forget_chart_memo()
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise AssertionError(f"GET {path} answered {response.status_code}")

    return call


def levels_rows(ctx: Engine) -> None:
    from shotlee.lib.levels import Pk, curve, direct

    pk = Pk(half_life_hours=6.0, ka_per_hour=1.5)
    doses = [(24.0 * d, 1.0) for d in range(YEARS_OF_DAYS)]
    points = [float(h) for h in range(YEARS_OF_DAYS * 24)]
    sample = points[::DIRECT_SAMPLE]
    fast: list[float] = []
    for _ in range(5 if ctx.quick else 20):
        t0 = time.perf_counter()
        curve(doses, points, pk)
        fast.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    direct(doses, sample, pk)
    slow = (time.perf_counter() - t0) * 1000 * DIRECT_SAMPLE
    fast.sort()
    p50, p95 = fast[len(fast) // 2], fast[min(len(fast) - 1, int(len(fast) * 0.95))]
    ctx.add(Row("charts.levels.direct", f"direct double loop, {len(doses):,} doses × {len(points):,} points "
                f"(timed on every {DIRECT_SAMPLE}th point, ×{DIRECT_SAMPLE})", "in-process",
                size=len(doses), n=1, p50=slow, p95=slow))  # fmt: skip
    ctx.add(Row("charts.levels.recurrence", f"level curve (recurrence), {len(doses):,} doses × {len(points):,} points",
                "in-process", size=len(doses), n=len(fast), p50=p50, p95=p95, reference="charts.levels.direct"))  # fmt: skip


def run(ctx: Engine) -> None:
    if not ctx.inprocess:
        return
    from bench import app

    made = seed_users(ctx)
    ctx.analyze()  # seeded after the engine's own ANALYZE: without statistics PostgreSQL counted a protocol's
    # doses through the (user, kind) index, 28 ms instead of 1.3 ms, on every first view
    specs: list[tuple[str, Any]] = []
    first: list[tuple[str, Any]] = []  # timed in a block of their own: their clearing would empty the others' memo
    queries = {}
    for name, (user, protocol) in made.items():
        token = app.token_for(user)
        for kind, call in (
            ("dashboard", _get(user, "/")),
            ("protocol", _get(user, f"/api/v1/charts/protocols/{protocol.uid}", token)),
            ("metric", _get(user, "/api/v1/charts/metrics?type=weight", token)),
            ("protocol_all", _get(user, f"/api/v1/charts/protocols/{protocol.uid}?range=all", token)),
            ("metric_all", _get(user, "/api/v1/charts/metrics?type=weight&range=all", token)),
            ("dashboard_first", _get(user, "/", first=True)),
            ("protocol_first", _get(user, f"/api/v1/charts/protocols/{protocol.uid}", token, first=True)),
        ):
            (first if kind.endswith("_first") else specs).append((f"{kind} {name}", call))
            if not kind.endswith("_first"):
                call()  # a repeat view's statements
            queries[f"{kind} {name}"] = query_count(call)
    stats = interleaved(specs, 30 if ctx.quick else 100, ctx.budget)
    stats |= interleaved(first, 30 if ctx.quick else 100, ctx.budget)
    labels = {
        "dashboard": ("charts", "GET / (dashboard)"),
        "protocol": ("charts", "GET /api/v1/charts/protocols/{id} (default range, 90 days)"),
        "metric": ("charts", "GET /api/v1/charts/metrics?type=weight (default range, 90 days)"),
        # Every dose and reading since the start: reported, no target (what it reads grows with the history).
        "protocol_all": ("charts_all", "GET /api/v1/charts/protocols/{id}?range=all"),
        "metric_all": ("charts_all", "GET /api/v1/charts/metrics?type=weight&range=all"),
        # The first view after a write (the memo of the ledger head cleared before each): reported, no target.
        "dashboard_first": ("charts_first", "GET / (dashboard), first view after a write"),
        "protocol_first": ("charts_first", "GET /api/v1/charts/protocols/{id}, first view after a write"),
    }
    for kind, (prefix, label) in labels.items():
        key = kind.removesuffix("_all").removesuffix("_first")
        rows = {}
        for name, size_name in (("charts_small", "small"), ("charts_5y", "large")):
            s = stats[f"{kind} {name}"]
            rows[name] = ctx.add(
                Row(
                    f"{prefix}.{key}.inprocess.{size_name}",
                    label,
                    "in-process",
                    size=None,
                    clients=1,
                    n=s["n"],
                    p50=s["p50"],
                    p95=s["p95"],
                    queries=queries[f"{kind} {name}"],
                    reference="ref.minimal_view.inprocess",
                )  # fmt: skip
            )
        large = rows["charts_5y"]
        ctx.add(
            Row(
                f"{prefix}.{key}.growth",
                f"{label}: five years ÷ 100 entries",
                "in-process",
                n=large.n,
                p50=large.p50,
                p95=large.p95,
                reference=f"{prefix}.{key}.inprocess.small",
                derived=True,
            )  # fmt: skip
        )
    levels_rows(ctx)
