"""What the charts draw, read from the ledger: a protocol's doses (voided and corrected ones flagged), its estimated
level with the source of its parameters, labs and side effects beside it, adherence, and metric series.

The reads per request are a fixed handful whatever the history's size (tests/test_charts_api.py counts them); the
numbers come from the pure functions in lib.levels and lib.series.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, Max, OuterRef

from shotlee.charts.metric_series import metric_lines
from shotlee.charts.metric_series import metric_series as metric_series  # the metric chart tag reads it from here
from shotlee.charts.ranges import epoch, window
from shotlee.guides.models import Guide
from shotlee.ledger import memo
from shotlee.ledger.models import Entry
from shotlee.lib import levels, schedule
from shotlee.lib.series import BUDGET, adherence, downsample, grid
from shotlee.lib.units import Unit, convert_micro
from shotlee.metrics.services import METRIC, in_preferred
from shotlee.protocols.models import DOSE, Protocol
from shotlee.protocols.services import ladders_in_force
from shotlee.protocols.status import Status, doses_of, protocol_status
from shotlee.symptoms.services import SIDE_EFFECT

POINTS = 4000  # the even grid under the curve (hourly up to about five months), before the pixel budget
MICRO = 1_000_000


@dataclass
class Pk:
    """The parameters a protocol's curve is drawn with, and where they come from; or why there is no curve."""

    params: levels.Pk | None
    why_not: str = ""
    basis: str = ""
    source: dict[str, Any] | None = None
    note: str = ""


def pk_of(protocol: Protocol, guide: Guide | None = None) -> Pk:
    """The regimen's own `pk` block (route by route, as the guide states it); never another route's figures."""
    current = protocol.current
    if not current.guide or not current.regimen:
        return Pk(
            None,
            "This protocol was not started from a guide, so there are no published parameters to draw a level estimate from.",
        )
    guide = guide or Guide.objects.filter(slug=current.guide).first()
    regimen = guide.regimen(current.regimen) if guide is not None else None
    if guide is None or regimen is None:
        return Pk(
            None, "The guide this protocol was started from no longer lists its regimen, so no level estimate is drawn."
        )
    pk = regimen.get("pk")
    if not pk:
        return Pk(
            None,
            regimen.get("pk_note")
            or "No pharmacokinetics are published for this route, so no level estimate is drawn.",
        )
    if pk.get("route") != current.route:
        return Pk(
            None,
            f"The guide's parameters were measured for {pk.get('route')} use and this protocol is {current.route}, "
            "so no level estimate is drawn.",
        )
    source = next((s for s in guide.data["sources"] if s["key"] == pk["source"]), None)
    return Pk(levels.Pk.from_guide(pk), basis=pk.get("basis", ""), source=source, note=pk.get("note", ""))


def _amount(micro: int | None, unit: str, target: Unit) -> float | None:
    try:
        converted = convert_micro(micro or 0, Unit(unit), target)
    except ValueError:
        return None
    return None if converted is None else converted / MICRO


def before(user: User, protocol: Protocol, since: datetime | None) -> tuple[int, datetime | None]:
    """How many effective doses the protocol had before `since`, and when the last of them was (one query): the
    titration step and the adherence walk start from there."""
    if since is None:
        return 0, None
    found = doses_of(user, protocol).filter(occurred_at__lt=since).aggregate(n=Count("pk"), last=Max("occurred_at"))
    return found["n"], found["last"]


def dose_points(
    user: User, protocol: Protocol, since: datetime | None = None, earlier: tuple[int, datetime | None] | None = None
) -> list[dict[str, Any]]:
    """The protocol's dose records from `since` (all without it) in time order: the effective ones (the ledger's
    `effective()`: no void or correction targets them), and the ones a void or correction replaced, flagged, each
    with the titration step of the protocol version in force when it was taken. Two queries, and one more for the
    doses before `since` (the titration step) unless `earlier` (from `before`) is given."""
    current = protocol.current
    rows = Entry.objects.for_user(user).of_kind(DOSE).filter(subject=protocol.uid)
    taken = 0
    if since is not None:
        taken = (earlier or before(user, protocol, since))[0]
        rows = rows.filter(occurred_at__gte=since)
    replaced = Exists(Entry.objects.filter(user=OuterRef("user"), target_seq=OuterRef("seq")))
    fields = ("seq", "occurred_at", "amount_micro", "unit", "target_seq", "payload", "replaced")
    found = list(rows.annotate(replaced=replaced).order_by("occurred_at", "seq").values_list(*fields))
    corrected = {row[4] for row in found if row[4] is not None}
    versions = ladders_in_force(user, protocol)
    target = current.unit
    points = []
    v = 0
    for seq, at, micro, unit, corrects, payload, was_replaced in found:
        status = "corrected" if seq in corrected else "voided" if was_replaced else "effective"
        while v + 1 < len(versions) and versions[v + 1][0] <= at:
            v += 1  # the version in force when the dose was taken (before the first: the first, as the rules do)
        plan, confirmed = versions[v][1:] if versions else (current.plan(), current.confirmed_step)
        step = schedule.ladder_step(plan, taken, confirmed) if plan is not None and plan.ladder else None
        if status == "effective":
            taken += 1
        # Most doses name no site: read the JSON only when one does.
        body = (
            json.loads(payload)
            if '"site":"' in payload and '"site":""' not in payload or '"sites":["' in payload
            else {}
        )
        site = body.get("site", "")
        points.append(
            {
                "seq": seq,
                "t": at.timestamp(),
                "amount": micro / MICRO if unit == target else _amount(micro, unit, target),
                "entered": str(Decimal(micro or 0) / MICRO),
                "unit": unit,
                "status": status,
                "correction": corrects is not None,  # this record corrects an earlier one
                "step": None if step is None else step + 1,
                "site": site,
                "sites": body.get("sites") or ([site] if site else []),
            }
        )
    return points


def level_series(
    protocol: Protocol,
    pk: levels.Pk,
    doses: list[dict[str, Any]],
    start: float,
    now: float,
    status: Status | None,
    tz: tzinfo,
    points: int = POINTS,
) -> dict[str, Any]:
    """The past curve from `start` to now and the projection: two half-lives ahead, but never more than a quarter
    of the span shown (at least a day), so a long half-life does not stretch a short range; with the doses on the
    schedule at the current step from the next planned time after now (a dose that is due or overdue is not
    assumed taken: the projection is no advice to take it). Each evaluated at about `points` times and kept to at
    most that many (never above BUDGET). Times in seconds."""
    taken = [(d["t"] / 3600, d["amount"]) for d in doses if d["status"] == "effective" and d["amount"] is not None]
    horizon = min(2 * pk.half_life_hours, max((now - start) / 3600 / 4, 24.0))
    planned: list[tuple[float, float]] = []
    plan = protocol.current.plan()
    if status is not None and status.next_due is not None and plan is not None and not protocol.stopped:
        moment = datetime.fromtimestamp(now, tz)
        until = moment + timedelta(hours=horizon)
        after_now = _skip_to(plan, status.next_due, moment + timedelta(microseconds=1), tz)
        for due in schedule.upcoming(plan, after_now, until, tz, 400):
            planned.append((levels.hours(due), float(status.dose)))
    first = taken[0][0] if taken else now / 3600
    begin = max(start / 3600, first)
    budget = min(points, BUDGET)
    past_t = evaluation_times(begin, now / 3600, [t for t, _ in taken], pk, points)
    past_v = levels.curve(taken, past_t, pk)
    future_t = evaluation_times(now / 3600, now / 3600 + horizon, [t for t, _ in planned], pk, points)
    future_v = levels.curve(taken + planned, future_t, pk)
    px, pv = downsample([t * 3600 for t in past_t], past_v, budget) if past_t else ([], [])
    fx, fv = downsample([t * 3600 for t in future_t], future_v, budget)
    return {
        "past": {"t": [round(t) for t in px], "v": [significant(v) for v in pv]},
        "projection": {"t": [round(t) for t in fx], "v": [significant(v) for v in fv]},
        "planned": [round(p[0] * 3600) for p in planned],
    }


def evaluation_times(begin: float, end: float, doses: list[float], pk: levels.Pk, points: int = POINTS) -> list[float]:
    """Where to evaluate the curve between `begin` and `end` (hours): an even grid of about `points`, plus each dose's
    trough (just before it) and single-dose peak, so that the lowest and highest values the downsample keeps are
    the curve's own, at any zoom and however dense the doses."""
    if end <= begin:
        return []
    span = end - begin
    step = max(1.0, span / points)
    ke, ka = pk.ke, pk.ka_per_hour
    peak = 0.0 if ka is None or ka == ke else math.log(ka / ke) / (ka - ke)
    anchors = [t + d for t in doses for d in (-1e-6, peak) if begin <= t + d <= end]
    return sorted({*grid(begin, end, step), *anchors, end})


def significant(value: float) -> float:
    """Five significant digits: an estimate drawn on a chart has no use for seventeen (and the page is smaller)."""
    return float(f"{value:.5g}")


BESIDE = 2000  # labs and side effects drawn per timeline, each


def beside(
    user: User, protocol: Protocol, start: datetime | None, prefs: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lab readings and the side effects tied to the protocol from `start`, the first BESIDE of each (one
    query)."""
    rows = Entry.objects.for_user(user).filter(subject=protocol.uid, kind__in=(METRIC, SIDE_EFFECT)).effective()
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
    labs: list[dict[str, Any]] = []
    effects: list[dict[str, Any]] = []
    for entry in rows.order_by("occurred_at", "seq")[: 2 * BESIDE]:
        body = entry.data
        if entry.kind == SIDE_EFFECT:
            if len(effects) < BESIDE:
                effects.append(
                    {
                        "t": epoch(entry.occurred_at),
                        "severity": body.get("severity"),
                        "symptom": body.get("symptom", ""),
                        "site": body.get("site", ""),
                    }
                )
            continue
        if not body.get("lab") or len(labs) >= BESIDE:
            continue
        value, _, unit = in_preferred(entry, prefs)
        labs.append(
            {
                "t": epoch(entry.occurred_at),
                "type": body["type"],
                "name": body["name"],
                "value": value,
                "unit": unit,
                "canonical": body["value"],
                "canonical_unit": body["unit"],
            }
        )
    return labs, effects


def side_effects_for(user: User, protocol: Protocol, start: datetime | None) -> list[dict[str, Any]]:
    return beside(user, protocol, start, {})[1]


def adherence_of(
    user: User,
    protocol: Protocol,
    doses: list[dict[str, Any]],
    now: datetime,
    tz: tzinfo,
    since: datetime | None,
    earlier: tuple[int, datetime | None] | None = None,
) -> Any:
    """Adherence of a scheduled protocol (None for a course or one without a schedule). With `since` (the doses
    given start there), the walk starts from the last dose before it, as the schedule would (one query unless
    `earlier`, from `before`, is given)."""
    current = protocol.current
    plan = current.plan()
    if plan is None or current.course:
        return None
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    interval = schedule.advance(starts_at, plan, tz) - starts_at
    first_due = starts_at
    if since is not None and since > starts_at:
        anchor = (earlier or before(user, protocol, since))[1]
        first_due = schedule.advance(anchor, plan, tz) if anchor is not None else starts_at
        first_due = _skip_to(plan, first_due, since - interval, tz)
    taken = [datetime.fromtimestamp(d["t"], tz) for d in doses if d["status"] == "effective"]
    return adherence(first_due, lambda m: schedule.advance(m, plan, tz), taken, now, tz, interval=interval)


def _skip_to(plan: schedule.Schedule, moment: datetime, until: datetime, tz: tzinfo) -> datetime:
    """The planned time the walk reaches first at or after `until` from `moment` with no dose in between (every
    step missed), without walking the missed steps one by one where the step is a fixed number of hours or days;
    a schedule by months or weekdays walks them (at most a few hundred steps over years)."""
    if moment >= until:
        return moment
    if plan.weekdays or plan.unit == "months" or plan.every is None:
        while moment < until:
            moment = schedule.advance(moment, plan, tz)
        return moment
    if plan.unit == "hours":
        step = timedelta(hours=plan.every)  # absolute time, as schedule.advance counts hours: in UTC
        return (moment.astimezone(UTC) + step * -(-(until - moment) // step)).astimezone(tz)
    days = plan.every * (7 if plan.unit == "weeks" else 1)
    wall = moment.astimezone(tz).replace(tzinfo=None)
    steps = max(0, (until.astimezone(tz).replace(tzinfo=None) - wall).days // days - 1)
    moment = schedule.localize(wall + timedelta(days=steps * days), tz)
    while moment < until:
        moment = schedule.advance(moment, plan, tz)
    return moment


ADHERENCE_DAYS = 200  # the heat map's 26 weeks and the 90-day share, with room


def protocol_timeline(
    user: User,
    protocol: Protocol,
    range_key: str,
    tz: tzinfo,
    now: datetime,
    status: Status | None,
    prefs: dict[str, str],
    points: int = POINTS,
    half_life: float | None = None,
    with_metrics: bool = False,
) -> dict[str, Any]:
    """Everything the protocol's timeline draws for one range; the curve at about `points` times (a small card
    chart needs fewer than a full-width timeline), and with `half_life` (hours) in place of the guide's when the
    person chose their own, fitted to their labs. `with_metrics` adds the person's weight and blood pressure over
    the range (the timeline pages and the API; the dashboard's small charts leave them out)."""
    start = window(range_key, now)
    pk = pk_of(protocol)
    if half_life is not None and pk.params is not None:
        pk = replace(pk, params=pk.params.with_half_life(half_life))
    # Doses before the range still shape the curve in it: read from ten half-lives earlier (2^-10 of a dose is
    # nothing on a chart), and far enough back for the adherence shares; so a range's reads do not grow with the
    # history before it.
    since = None
    if start is not None:
        lookback = timedelta(hours=10 * pk.params.half_life_hours) if pk.params is not None else timedelta(0)
        since = min(start - lookback, now - timedelta(days=ADHERENCE_DAYS))
    earlier = before(user, protocol, since)
    doses = dose_points(user, protocol, since, earlier)
    first_t = doses[0]["t"] if doses else epoch(now)
    start_t = epoch(start) if start is not None else min(first_t, epoch(now))
    level: dict[str, Any] = {"available": pk.params is not None, "why_not": pk.why_not, "unit": protocol.current.unit}
    if pk.params is not None:
        level |= level_series(protocol, pk.params, doses, start_t, epoch(now), status, tz, points)
        level |= {
            "half_life_hours": pk.params.half_life_hours,
            "personal_half_life": half_life is not None,
            "absorption": pk.params.ka_per_hour is not None,
            "basis": pk.basis,
            "note": pk.note,
            "source": None
            if pk.source is None
            else {"citation": pk.source.get("citation", ""), "url": pk.source.get("url", "")},
        }
    shown = [d for d in doses if d["t"] >= start_t]
    labs, effects = beside(user, protocol, start, prefs)
    found = adherence_of(user, protocol, doses, now, tz, since, earlier)
    extra: dict[str, Any] = {}
    if with_metrics:
        extra["metrics"] = metric_lines(user, datetime.fromtimestamp(start_t, UTC), prefs)
    return extra | {
        "protocol": {
            "id": str(protocol.uid),
            "name": protocol.name,
            "unit": protocol.current.unit,
            "route": protocol.current.route,
            "steps": len(protocol.current.ladder),
        },
        "range": {"key": range_key, "start": start_t, "end": epoch(now), "now": epoch(now)},
        "doses": within_budget(shown),
        "doses_total": len(shown),
        "level": level,
        "labs": labs,
        "side_effects": effects,
        "adherence": None if found is None else {"on_time_30": found.shares[30], "on_time_90": found.shares[90]},
        "time_zone": getattr(tz, "key", str(tz)),  # the times in the details under a chart are said in this zone
    }


def within_budget(doses: list[dict[str, Any]], budget: int = BUDGET) -> list[dict[str, Any]]:
    """At most `budget` dose markers: every voided or corrected one and the newest, and the rest evenly spread
    (a chart of years of twice-daily doses; the history keeps every record, and `doses_total` counts them)."""
    if len(doses) <= budget:
        return doses
    keep = {i for i, d in enumerate(doses) if d["status"] != "effective"} | {len(doses) - 1}
    room = max(budget - len(keep), 0)
    plain = [i for i in range(len(doses)) if i not in keep]
    step = len(plain) / room if room else 0
    keep |= {plain[int(k * step)] for k in range(room)}
    return [doses[i] for i in sorted(keep)][-budget:]


def timeline(
    user: User,
    protocol: Protocol,
    range_key: str,
    tz: tzinfo,
    now: datetime,
    prefs: dict[str, str],
    head: tuple[int, str],
    points: int = POINTS,
    with_metrics: bool = False,
) -> tuple[Status, dict[str, Any]]:
    """Where the protocol stands and its timeline for one range, remembered for the ledger head and the minute
    (ledger/memo.py): the values are shared, so a caller that changes one copies it first."""

    def build() -> tuple[Status, dict[str, Any]]:
        status = protocol_status(user, protocol, tz, now)
        return status, protocol_timeline(
            user, protocol, range_key, tz, now, status, prefs, points, with_metrics=with_metrics
        )

    key = (
        "timeline",
        protocol.pk,
        protocol.version_seq,
        range_key,
        str(tz),
        tuple(sorted(prefs.items())),
        points,
        with_metrics,
    )
    return memo.remembered(user, head, now, key, build)
