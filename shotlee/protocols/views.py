from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.models import Profile
from shotlee.ledger.models import Entry, Kind
from shotlee.ledger.services import LedgerBusy
from shotlee.lib.units import Unit
from shotlee.protocols.models import Protocol, Route
from shotlee.protocols.services import ProtocolInvalid, change_protocol, clean_settings, create_protocol

FIELDS = (
    "name",
    "compound",
    "dose",
    "unit",
    "route",
    "interval_hours",
    "min_interval_hours",
    "max_single_dose",
    "window_hours",
    "window_max",
    "sites",
    "starts_on",
)


def _form_context(values: dict[str, Any], errors: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"values": values, "errors": errors, "units": [u.value for u in Unit], "routes": Route.choices, **extra}


def _today(request: HttpRequest) -> Any:
    profile = Profile.objects.get_or_create(user=request.user)[0]
    return timezone.now().astimezone(profile.tz).date()


def protocol_list(request: HttpRequest) -> HttpResponse:
    protocols = Protocol.objects.for_user(request.user)
    return render(request, "protocols/protocol_list.html", {"protocols": protocols})


@require_http_methods(["GET", "POST"])
def protocol_new(request: HttpRequest) -> HttpResponse:
    values: dict[str, Any] = {"unit": "mg", "route": "subcutaneous", "starts_on": _today(request).isoformat()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {field: request.POST.get(field, "").strip() for field in FIELDS}
        try:
            settings = clean_settings(values, today=_today(request))
            outcome = create_protocol(request.user, settings)
        except ProtocolInvalid as exc:
            errors = exc.errors
        except LedgerBusy:
            errors = {"__all__": "The server is busy; please press Save again."}
        else:
            return redirect("protocols:detail", uid=outcome.body["id"])
    context = _form_context(values, errors, title="New protocol", submit="Create protocol")
    return render(request, "protocols/protocol_form.html", context, status=422 if errors else 200)


def protocol_detail(request: HttpRequest, uid: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    versions = [
        {"seq": seq, "at": at, "data": json.loads(payload)}
        for seq, at, payload in Entry.objects.for_user(request.user)
        .filter(kind=Kind.PROTOCOL, subject=protocol.uid)
        .order_by("-seq")
        .values_list("seq", "occurred_at", "payload")
    ]
    from shotlee.doses.services import last_dose, next_due

    profile = Profile.objects.get_or_create(user=request.user)[0]
    return render(
        request,
        "protocols/protocol_detail.html",
        {
            "protocol": protocol,
            "current": protocol.current,
            "versions": versions,
            "last": last_dose(request.user, protocol),
            "next_due": next_due(request.user, protocol, profile.tz),
        },
    )


@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, uid: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    current = json.loads(protocol.settings)
    values = {**current, "sites": ", ".join(current.get("sites") or [])}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {field: request.POST.get(field, "").strip() for field in FIELDS}
        stop = request.POST.get("stop") == "1"
        try:
            settings = clean_settings(values, today=_today(request))
            change_protocol(request.user, protocol, settings, stop=stop)
        except ProtocolInvalid as exc:
            errors = exc.errors
        except LedgerBusy:
            errors = {"__all__": "The server is busy; please press Save again."}
        else:
            return redirect("protocols:detail", uid=protocol.uid)
    context = _form_context(
        values, errors, title=f"Change {protocol.name}", submit="Save as a new version", protocol=protocol
    )
    return render(request, "protocols/protocol_form.html", context, status=422 if errors else 200)
