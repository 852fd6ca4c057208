"""Series for charts: time grids, downsampling to a pixel budget, and adherence (planned, taken, missed)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

BUDGET = 2000  # points per series per request: about one per pixel on a wide screen


def grid(start: float, end: float, step: float) -> list[float]:
    """`start`, `start + step`, ... up to and including `end` (hours)."""
    if step <= 0:
        raise ValueError("step must be above zero")
    if end < start:
        return []
    count = int(math.floor((end - start) / step + 1e-9)) + 1
    return [start + k * step for k in range(count)]


def downsample(xs: Sequence[float], ys: Sequence[float], budget: int = BUDGET) -> tuple[list[float], list[float]]:
    """At most `budget` points that keep the series' shape: the first and last point, and per bucket of equal
    width in x the lowest and the highest (so the peaks and troughs of a saw-tooth survive), in x order."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if budget < 4:
        raise ValueError("the budget must be at least 4 points")
    n = len(xs)
    if n <= budget:
        return list(xs), list(ys)
    buckets = (budget - 2) // 2
    first, last = xs[0], xs[-1]
    width = (last - first) / buckets or 1.0
    keep: list[int] = [0]
    i = 1
    for b in range(buckets):
        edge = first + (b + 1) * width
        low = high = -1
        while i < n - 1 and (xs[i] < edge or b == buckets - 1):
            if low < 0 or ys[i] < ys[low]:
                low = i
            if high < 0 or ys[i] > ys[high]:
                high = i
            i += 1
        keep.extend(sorted({low, high} - {-1}))
    keep.append(n - 1)
    return [xs[k] for k in keep], [ys[k] for k in keep]


@dataclass
class Day:
    planned: int = 0
    taken: int = 0
    missed: int = 0
    on_time: int = 0


@dataclass
class Adherence:
    """Per local day: planned doses, doses taken, planned doses missed; and the share of planned doses taken on
    time over the trailing windows (None when nothing was planned in the window)."""

    days: dict[date, Day] = field(default_factory=dict)
    shares: dict[int, float | None] = field(default_factory=dict)
    planned: list[tuple[datetime, datetime | None, bool]] = field(default_factory=list)  # (due, taken at, on time)


def adherence(
    first_due: datetime,
    advance: Callable[[datetime], datetime],
    doses: Sequence[datetime],
    now: datetime,
    tz: tzinfo,
    *,
    interval: timedelta,
    on_time: float = 0.1,
    windows: Sequence[int] = (30, 90),
    limit: int = 20000,
) -> Adherence:
    """Walk the plan as the app schedules it: each planned time is met by the first dose within half an interval of
    it, and the next planned time follows that dose (or, when missed, the planned time). A met dose is on time
    within `on_time` of an interval. Planned times after `now` are not counted: they are still ahead; nor is one
    less than half an interval ago with no dose yet: it can still be met."""
    found = Adherence()
    ordered = sorted(doses)
    half, close = interval / 2, interval * on_time
    i, n = 0, len(ordered)
    moment = first_due
    while moment <= now and len(found.planned) < limit:
        while i < n and ordered[i] < moment - half:
            i += 1  # an extra dose, between planned times: taken, but it meets no plan
        if i < n and ordered[i] <= moment + half:
            taken = ordered[i]
            found.planned.append((moment, taken, abs(taken - moment) <= close))
            i += 1
            moment = advance(taken)
        elif moment + half > now:
            break  # due, and a dose within half an interval would still meet it: pending, not missed
        else:
            found.planned.append((moment, None, False))
            moment = advance(moment)
    for due, met, punctual in found.planned:
        day = found.days.setdefault(due.astimezone(tz).date(), Day())
        day.planned += 1
        if met is None:
            day.missed += 1
        elif punctual:
            day.on_time += 1
    for dose in ordered:
        if dose <= now:
            found.days.setdefault(dose.astimezone(tz).date(), Day()).taken += 1
    for days in windows:
        start = now - timedelta(days=days)
        inside = [p for p in found.planned if p[0] > start]
        found.shares[days] = sum(1 for p in inside if p[2]) / len(inside) if inside else None
    return found
