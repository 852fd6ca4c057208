"""The dashboard (what to take next, and how the person is doing) and the timelines."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from shotlee.accounts.http import SignedIn
from shotlee.charts import calibration, data, ranges, sites
from shotlee.charts.svg import heat_map
from shotlee.ledger import memo
from shotlee.ledger.models import Entry
from shotlee.lib import metrics as metric_specs
from shotlee.lib.when import relative
from shotlee.metrics.services import METRIC, in_preferred
from shotlee.protocols.models import DOSE, Protocol
from shotlee.protocols.status import Status, protocol_status

DASHBOARD_RANGE = "90d"
# A card's chart is at most about 600 px wide: its curve needs no more points (bench row charts.dashboard: the
# full-width 4,000 took a quarter of the page's time).
DASHBOARD_POINTS = 600


def _due_text(status: Status, now: datetime) -> str:
    return relative(status.next_due, now) if status.next_due is not None else ""


LATEST_READINGS = 100  # the newest readings looked at first: about three weeks of five daily metrics
OTHER_METRICS = 12  # at most this many metrics read less often (a quarterly lab) are looked up one by one


def _latest_metrics(request: SignedIn) -> list[dict[str, Any]]:
    """The newest reading of each metric with the change from the one before: the newest readings in one bounded
    query, then each metric they leave out (a lab drawn every few months) by itself, so a rare lab is not pushed
    off the tiles by daily weights."""
    user, prefs = request.user, request.profile.preferred_units
    readings = Entry.objects.for_user(user).of_kind(METRIC).effective()
    by_key: dict[str, list[Entry]] = {}
    for entry in readings.order_by("-occurred_at", "-seq")[:LATEST_READINGS]:
        pair = by_key.setdefault(entry.compound, [])
        if len(pair) < 2:
            pair.append(entry)
    others = (
        Entry.objects.for_user(user)
        .of_kind(METRIC)
        .exclude(compound__in=list(by_key))
        .values_list("compound", flat=True)
        .distinct()
        .order_by("compound")[:OTHER_METRICS]
    )
    for key in list(others):
        pair = list(readings.filter(compound=key).order_by("-occurred_at", "-seq")[:2])
        if pair:
            by_key[key] = pair
    return sorted((_tile(key, rows, prefs) for key, rows in by_key.items()), key=lambda t: t["name"])


def _tile(key: str, rows: list[Entry], prefs: dict[str, str]) -> dict[str, Any]:
    value, value2, unit = in_preferred(rows[0], prefs)
    tile: dict[str, Any] = {"change": "", "trend": ""}
    if len(rows) == 2:
        previous, _, _ = in_preferred(rows[1], prefs)
        change = float(value) - float(previous)
        spec = metric_specs.BUILT_IN.get(key)
        decimals = 2 if spec is None else spec.unit_decimals.get(unit, spec.decimals)
        tile = {
            "change": f"{change:+.{decimals}f} {unit}".strip(),
            "trend": "up" if change > 0 else "down" if change < 0 else "same",
        }
    return tile | {
        "name": rows[0].data.get("name", key),
        "value": value,
        "value2": value2,
        "unit": unit,
        "at": rows[0].occurred_at,
        "key": key,
    }


def _acknowledged(request: SignedIn, now: datetime) -> list[dict[str, Any]]:
    """Warnings the person confirmed on doses of the last 30 days (newest first, at most 20)."""
    rows = (
        Entry.objects.for_user(request.user)
        .of_kind(DOSE)
        .effective()
        .filter(occurred_at__gte=now - timedelta(days=30), payload__contains='"acknowledged":[{')
        .order_by("-occurred_at", "-seq")[:20]
    )
    found = []
    for entry in rows:
        for warning in entry.data.get("acknowledged", []):
            found.append(
                {
                    "at": entry.occurred_at,
                    "message": warning.get("message", ""),
                    "what": entry.data.get("compound_name", ""),
                    "trail": f"?before={entry.seq + 1}#entry-{entry.seq}",  # the dose in the history
                }
            )
    return found


@login_not_required
def home(request: SignedIn) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home_public.html", {"open_signup": settings.OPEN_SIGNUP})
    tz = request.profile.tz
    now = timezone.now()
    prefs = request.profile.preferred_units
    head = memo.head_of(request.user)
    rows: list[dict[str, Any]] = []
    user = request.user
    # The list itself is a projection written with the ledger records that change it, so the head covers it too.
    protocols = memo.remembered(user, head, now, ("protocols",), lambda: list(Protocol.objects.for_user(user).active()))
    for protocol in protocols:
        status, timeline = data.timeline(
            request.user, protocol, DASHBOARD_RANGE, tz, now, prefs, head, DASHBOARD_POINTS
        )
        rows.append(
            {
                "protocol": protocol,
                "status": status,
                "due_text": _due_text(status, now),
                "other_year": status.next_due is not None
                and status.next_due.astimezone(tz).year != now.astimezone(tz).year,
                "next_step_dose": None
                if status.next_step is None or protocol.current.plan() is None
                else protocol.current.plan().ladder[status.next_step].dose,  # type: ignore[union-attr]
                "timeline": timeline,
            }
        )
    # Overdue first (the earliest due the most overdue), then by next due; no schedule last.
    far = now + timedelta(days=365 * 100)
    rows.sort(key=lambda r: (r["status"].next_due or far, r["protocol"].name))
    context = {
        "rows": rows,
        "any_dose": any(row["status"].last for row in rows),
        "entries": head[0],
        "entries_text": f"{head[0]:,}",
        "ledger_head": head,  # the supplies panel's memo key
        "tz": tz,
        "charts": {"items": [row["timeline"] for row in rows]},  # in the cards' order: data-index points here
        "metrics": memo.remembered(
            request.user, head, now, ("tiles", tuple(sorted(prefs.items()))), lambda: _latest_metrics(request)
        ),
        "acknowledged": memo.remembered(
            request.user, head, now, ("acknowledged",), lambda: _acknowledged(request, now)
        ),
    }
    return render(request, "home.html", context)


def _page_data(request: SignedIn, protocols: list[Protocol], range_key: str) -> list[dict[str, Any]]:
    tz, now, prefs = request.profile.tz, timezone.now(), request.profile.preferred_units
    head = memo.head_of(request.user)
    return [data.timeline(request.user, p, range_key, tz, now, prefs, head, with_metrics=True)[1] for p in protocols]


def _range(request: SignedIn) -> str:
    key = request.GET.get("range", "90d")
    return key if key in ranges.RANGES else "90d"


def protocol_timeline(request: SignedIn, uid: str) -> HttpResponse:
    """One protocol on a zoomable time axis, with a text summary and a table for screen readers."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    range_key = _range(request)
    items = _page_data(request, [protocol], range_key)
    every_dose = data.dose_points(request.user, protocol)
    found = data.adherence_of(request.user, protocol, every_dose, timezone.now(), request.profile.tz, None)
    site_list = sites.rotation(protocol.current.sites, every_dose, data.side_effects_for(request.user, protocol, None))
    cal = calibration.calibration(
        request.user, protocol, data.pk_of(protocol), every_dose, request.profile.preferred_units
    )
    chosen = _calibrate(request, protocol, range_key, cal, items)
    context = {
        "calibration": cal,
        "calibrated": chosen,
        "sites": site_list,
        "site_maps": sites.drawings(site_list),
        "protocol": protocol,
        "item": items[0],
        "charts": {"items": items},
        "range": range_key,
        "ranges": ranges.RANGE_LABELS,
        "heat_map": heat_map(found, timezone.now(), request.profile.tz) if found is not None else "",
        "tz": request.profile.tz,
    }
    return render(request, "charts/protocol_timeline.html", context)


def _calibrate(
    request: SignedIn, protocol: Protocol, range_key: str, cal: dict[str, Any] | None, items: list[dict[str, Any]]
) -> str:
    """What the person chose to draw (`?calibrated=1`: their scale; `2`: their half-life and the scale that goes
    with it), applied to `items` in place; "" for the plain estimate. Never applied unless chosen."""
    mode = request.GET.get("calibrated", "")
    if cal is None or cal["scale"] is None or mode not in ("1", "2"):
        return ""
    if mode == "2" and cal["half_life"] is not None:
        tz, now, prefs = request.profile.tz, timezone.now(), request.profile.preferred_units
        status = protocol_status(request.user, protocol, tz, now)
        half = cal["half_life"]
        items[0] = data.protocol_timeline(
            request.user, protocol, range_key, tz, now, status, prefs, half_life=half["value"], with_metrics=True
        )
        calibration.apply_scale(items[0]["level"], half["scale"], cal["unit"], cal["lab"], cal["type"])
        return "2"
    items[0] = items[0] | {"level": copy.deepcopy(items[0]["level"])}  # the remembered series stays as it was
    calibration.apply_scale(items[0]["level"], cal["scale"]["value"], cal["unit"], cal["lab"], cal["type"])
    return "1"


def all_timeline(request: SignedIn) -> HttpResponse:
    """Every active protocol on one time axis."""
    range_key = _range(request)
    protocols = list(Protocol.objects.for_user(request.user).active())
    items = _page_data(request, protocols, range_key)
    context = {"items": items, "charts": {"items": items}, "range": range_key, "ranges": ranges.RANGE_LABELS}
    return render(request, "charts/timeline.html", context)
