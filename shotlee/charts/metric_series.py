"""Metric series: one metric over a range with the doses as marks (the metrics page and its API), and the weight and
blood pressure lines a protocol's timeline draws on their own axes. In the person's preferred units, each within the
pixel budget (lib.series.downsample)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from shotlee.charts.ranges import epoch, window
from shotlee.ledger.models import Entry
from shotlee.lib import metrics as metric_specs
from shotlee.lib.series import BUDGET, downsample
from shotlee.metrics.services import METRIC, in_preferred
from shotlee.protocols.models import DOSE

LINES = ("weight", "blood_pressure")  # the metrics a protocol's timeline draws, each on its own axis


def metric_lines(user: User, since: datetime | None, prefs: dict[str, str]) -> list[dict[str, Any]]:
    """The person's weight and blood pressure (systolic `v`, diastolic `v2`) from `since` (all without it), in their
    preferred units, each within the pixel budget: one query for both, whatever the history's size. Only the
    metrics with a reading in the range are listed."""
    rows = Entry.objects.for_user(user).of_kind(METRIC).filter(compound__in=LINES).effective()
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    read: dict[str, tuple[list[float], list[float], list[float | None], str]] = {}
    last: dict[str, str] = {}  # the newest reading of each, as the person typed it (or in their unit)
    for entry in rows.order_by("occurred_at", "seq").only("occurred_at", "compound", "payload"):
        value, value2, unit = in_preferred(entry, prefs)
        last[entry.compound] = f"{value}/{value2}" if value2 else value
        t, v, v2, _ = read.setdefault(entry.compound, ([], [], [], unit))
        t.append(epoch(entry.occurred_at))
        v.append(float(value))
        v2.append(float(value2) if value2 else None)
    found = []
    for key in LINES:
        if key not in read:
            continue
        t, v, v2, unit = read[key]
        spec = metric_specs.BUILT_IN[key]
        count, places = len(t), spec.unit_decimals.get(unit, spec.decimals)
        if spec.pair:
            t, v, v2 = _downsample_pair(t, v, v2)
        else:
            t, v = downsample(t, v, BUDGET)
            v2 = []
        seconds = [x for x in v2 if x is not None]
        found.append(
            {
                "type": key,
                "name": spec.name,
                "unit": unit,
                "count": count,
                "latest": last[key],
                "low": _fixed(min(v), places),
                "high": _fixed(max(v), places),
                "low2": _fixed(min(seconds), places) if seconds else "",
                "high2": _fixed(max(seconds), places) if seconds else "",
                "points": {"t": t, "v": v, "v2": v2},
            }
        )
    return found


def _fixed(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _downsample_pair(
    t: list[float], v: list[float], v2: list[float | None]
) -> tuple[list[float], list[float], list[float | None]]:
    """Both numbers of a pair within the budget: half of it keeps the first number's shape, half the second's."""
    if len(t) <= BUDGET:
        return t, v, v2
    second = [x if x is not None else y for x, y in zip(v2, v, strict=True)]
    kept = {*downsample(t, v, BUDGET // 2)[0], *downsample(t, second, BUDGET // 2)[0]}
    keep = [i for i, x in enumerate(t) if x in kept][:BUDGET]
    return [t[i] for i in keep], [v[i] for i in keep], [v2[i] for i in keep]


def metric_series(user: User, key: str, range_key: str, prefs: dict[str, str], now: datetime) -> dict[str, Any]:
    """One metric in the person's preferred unit, downsampled, with every effective dose in the range as a marker
    (two queries)."""
    start = window(range_key, now)
    rows = Entry.objects.for_user(user).of_kind(METRIC).filter(compound=key).effective()
    dose_rows = Entry.objects.for_user(user).of_kind(DOSE).effective()
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
        dose_rows = dose_rows.filter(occurred_at__gte=start)
    t: list[float] = []
    v: list[float] = []
    v2: list[float | None] = []
    unit, name = "", key
    for entry in rows.order_by("occurred_at", "seq").only("occurred_at", "payload"):
        value, value2, unit = in_preferred(entry, prefs)
        name = entry.data.get("name", key)
        t.append(epoch(entry.occurred_at))
        v.append(float(value))
        v2.append(float(value2) if value2 else None)
    if len(t) > BUDGET:
        kept_t, v = downsample(t, v, BUDGET)
        index = {x: i for i, x in enumerate(t)}
        v2 = [v2[index[x]] for x in kept_t]
        t = kept_t
    spec = metric_specs.BUILT_IN.get(key)
    if spec is not None:
        name = spec.name
        if not unit:
            unit = prefs.get(key, spec.unit)
    latest = dose_rows.order_by("-occurred_at").values_list("occurred_at", flat=True)[:BUDGET]
    markers = sorted(epoch(at) for at in latest)
    return {"type": key, "name": name, "unit": unit, "points": {"t": t, "v": v, "v2": v2}, "doses": markers}
