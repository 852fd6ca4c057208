from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.models import Profile
from shotlee.ledger.services import LedgerBusy
from shotlee.lib import metrics as lib
from shotlee.lib.errors import InvalidInput
from shotlee.lib.localtime import parse_local, to_local_input
from shotlee.metrics.models import MetricType
from shotlee.metrics.services import build_reading, create_metric_type, in_preferred, readings, record_metric
from shotlee.protocols.models import Protocol


def _types(user: Any) -> list[dict[str, Any]]:
    built_in = [
        {"key": s.key, "name": s.name, "units": s.all_units(), "lab": s.lab, "pair": s.pair}
        for s in lib.BUILT_IN.values()
    ]
    custom = [
        {"key": t.key, "name": t.name, "units": [t.unit], "lab": False, "pair": False}
        for t in MetricType.objects.for_user(user)
    ]
    return built_in + custom


def metric_list(request: HttpRequest) -> HttpResponse:
    profile = Profile.objects.get_or_create(user=request.user)[0]
    types = _types(request.user)
    key = request.GET.get("type", "")
    if key and key not in {t["key"] for t in types}:
        key = ""
    rows = list(readings(request.user, key=key)[:200])
    items = []
    for entry in rows:
        value, value2, unit = in_preferred(entry, profile.preferred_units)
        items.append({"entry": entry, "data": entry.data, "value": value, "value2": value2, "unit": unit})
    context = {"items": items, "types": types, "type": key, "recorded": request.GET.get("recorded") == "1"}
    return render(request, "metrics/metric_list.html", context)


@require_http_methods(["GET", "POST"])
def metric_log(request: HttpRequest) -> HttpResponse:
    """One form for any metric or lab: the value in the person's preferred unit, stored canonically."""
    profile = Profile.objects.get_or_create(user=request.user)[0]
    tz = profile.tz
    types = _types(request.user)
    by_key = {t["key"]: t for t in types}
    key = request.POST.get("type") or request.GET.get("type") or "weight"
    if key not in by_key:
        raise Http404
    chosen = by_key[key]
    preferred = profile.preferred_units.get(key)
    protocol_id = request.GET.get("protocol") or request.POST.get("protocol") or ""
    values: dict[str, Any] = {
        "type": key,
        "value": "",
        "value2": "",
        "unit": preferred if preferred in chosen["units"] else chosen["units"][0],
        "measured_at": to_local_input(timezone.now(), tz),
        "note": "",
        "protocol": protocol_id,
        "client_entry_id": str(uuid.uuid4()),
    }
    errors: dict[str, str] = {}
    warnings: list[str] = []
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        data: dict[str, Any] = {
            "type": key,
            "value": values["value"],
            "value2": values["value2"] or None,
            "unit": values["unit"],
            "note": values["note"],
        }
        if values["protocol"]:
            data["protocol"] = values["protocol"]
        try:
            data["client_entry_id"] = uuid.UUID(values["client_entry_id"])
        except ValueError:
            data["client_entry_id"] = None
        try:
            data["measured_at"] = parse_local(values["measured_at"], tz) if values["measured_at"] else None
        except ValueError as exc:
            errors["measured_at"] = str(exc)
        if not errors:
            try:
                outcome = record_metric(request.user, build_reading(request.user, data))
            except InvalidInput as exc:
                errors = exc.errors
            except (Protocol.DoesNotExist, MetricType.DoesNotExist):
                raise Http404 from None
            except LedgerBusy:
                errors = {"__all__": "The server is busy; nothing was recorded. Please press the button again."}
            else:
                warnings = outcome.body.get("warnings") or []
                suffix = "?recorded=1" + ("&unusual=1" if warnings else "")
                return redirect(reverse("metrics:list") + suffix)
    context = {"types": types, "chosen": chosen, "values": values, "errors": errors, "warnings": warnings}
    return render(request, "metrics/metric_log.html", context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
def metric_types(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values = {"name": "", "unit": "", "min": "", "max": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            create_metric_type(
                request.user, values["name"], values["unit"], values["min"] or None, values["max"] or None
            )
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect("metrics:types")
    context = {
        "custom": MetricType.objects.for_user(request.user),
        "built_in": lib.BUILT_IN.values(),
        "values": values,
        "errors": errors,
    }
    return render(request, "metrics/metric_types.html", context, status=422 if errors else 200)
