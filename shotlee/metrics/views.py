from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.lib import metrics as lib
from shotlee.lib.localtime import to_local_input
from shotlee.metrics.forms import MetricTypeForm, ReadingForm, build_reading
from shotlee.metrics.models import MetricType
from shotlee.metrics.services import adopt_unit, create_metric_type, in_preferred, readings, record_metric
from shotlee.protocols.models import Protocol
from shotlee.web.forms import status, submit


def _types(user: User) -> list[dict[str, Any]]:
    built_in = [
        {"key": s.key, "name": s.name, "units": s.all_units(), "lab": s.lab, "pair": s.pair}
        for s in lib.BUILT_IN.values()
    ]
    custom = [
        {"key": t.key, "name": t.name, "units": [t.unit], "lab": False, "pair": False}
        for t in MetricType.objects.for_user(user)
    ]
    return built_in + custom


def heading(name: str) -> str:
    """A metric's name inside a sentence: "weight", "body fat", but "DHT", "HbA1c", "LDL cholesterol" as named."""
    first = name.split(" ", 1)[0]
    return name if any(c.isupper() for c in first[1:]) else name[:1].lower() + name[1:]


def _since(gap: dict[str, Any]) -> str:
    """How long after the last dose a lab was drawn, in words ("329 days and 7 hours", not "7903.4 h")."""
    hours = int(Decimal(str(gap["hours"])))
    days, hours = divmod(hours, 24)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or not days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}" if hours else "less than an hour")
    return f"{' and '.join(parts)} after the last {gap['name']} dose"


def metric_list(request: SignedIn) -> HttpResponse:
    profile = request.profile
    types = _types(request.user)
    key = request.GET.get("type", "")
    if key and key not in {t["key"] for t in types}:
        key = ""
    rows = list(readings(request.user, key=key)[:200])
    items = []
    for entry in rows:
        value, value2, unit = in_preferred(entry, profile.preferred_units)
        since = [_since(c) for c in entry.data.get("since_last_dose", [])]
        items.append(
            {"entry": entry, "data": entry.data, "value": value, "value2": value2, "unit": unit, "since": since}
        )
    context = {"items": items, "types": types, "type": key, "recorded": request.GET.get("recorded") == "1"}
    return render(request, "metrics/metric_list.html", context)


@require_http_methods(["GET", "POST"])
def metric_log(request: SignedIn) -> HttpResponse:
    """One form for any metric or lab: the value in the person's preferred unit, stored canonically."""
    profile = request.profile
    tz = profile.tz
    types = _types(request.user)
    by_key = {t["key"]: t for t in types}
    key = request.POST.get("type") or request.GET.get("type") or "weight"
    if key not in by_key:
        raise Http404
    chosen = by_key[key]
    preferred = profile.preferred_units.get(key)
    initial = {
        "unit": preferred if preferred in chosen["units"] else chosen["units"][0],
        "measured_at": to_local_input(timezone.now(), tz),
        "protocol": request.GET.get("protocol", ""),
        "client_entry_id": str(uuid.uuid4()),
    }
    # Another metric chosen in the form (the page posts it back): show its form with what was typed kept.
    shown = request.POST.get("shown", "")
    switching = request.method == "POST" and (bool(shown and shown != key) or "switch" in request.POST)
    form = ReadingForm(request.POST if request.method == "POST" and not switching else None, initial=initial, tz=tz)
    if form.is_bound and form.is_valid():
        values = {**form.values(), "type": key}
        try:
            outcome, _ = submit(form, lambda: record_metric(request.user, build_reading(request.user, values)))
        except (Protocol.DoesNotExist, MetricType.DoesNotExist):
            raise Http404 from None
        if outcome is not None:
            unit = values.get("unit") or chosen["units"][0]
            if adopt_unit(request.user, profile.preferred_units, key, unit):
                messages.info(
                    request,
                    f"{chosen['name']} is shown in {unit} from now on, the unit you typed. "
                    "You can change this in Settings.",
                )
            suffix = "?recorded=1" + ("&unusual=1" if outcome.body.get("warnings") else "")
            return redirect(reverse("metrics:list") + suffix)
    if switching:
        kept = ("value", "value2", "measured_at", "note", "protocol", "client_entry_id")
        values = {**initial, **{name: request.POST.get(name, "") for name in kept if request.POST.get(name)}}
    elif form.is_bound:
        values = {name: form.data.get(name, "") for name in form.fields}
    else:
        values = {"value": "", **initial}
    context = {
        "types": types,
        "chosen": chosen,
        "heading": heading(chosen["name"]),
        "values": {**values, "type": key},
        "errors": form.messages,
    }
    return render(request, "metrics/metric_log.html", context, status=status(form, []))


@require_http_methods(["GET", "POST"])
def metric_types(request: SignedIn) -> HttpResponse:
    form = MetricTypeForm(request.POST if request.method == "POST" else None, tz=request.profile.tz)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        created, _ = submit(
            form,
            lambda: create_metric_type(
                request.user, data["name"], data["unit"], data["min"] or None, data["max"] or None
            ),
        )
        if created is not None:
            return redirect("metrics:types")
    context = {
        "custom": MetricType.objects.for_user(request.user),
        "built_in": lib.BUILT_IN.values(),
        "values": {name: form.data.get(name, "") for name in form.fields},
        "errors": form.messages,
    }
    return render(request, "metrics/metric_types.html", context, status=status(form, []))
