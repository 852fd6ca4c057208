from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.models import Profile
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry, Kind
from shotlee.ledger.services import LedgerBusy
from shotlee.lib.schedule import WEEKDAYS
from shotlee.lib.units import Unit
from shotlee.protocols.models import Protocol, Route
from shotlee.protocols.services import (
    ProtocolInvalid,
    change_protocol,
    clean_settings,
    create_protocol,
    settings_from_guide,
)

FIELDS = (
    "name",
    "compound",
    "dose",
    "unit",
    "route",
    "every",
    "every_unit",
    "min_interval_hours",
    "max_single_dose",
    "window_hours",
    "window_max",
    "sites",
    "starts_on",
    "ladder",
    "guide",
    "regimen",
)
EVERY_UNITS = ("hours", "days", "weeks", "months")


def to_form(settings: dict[str, Any]) -> dict[str, Any]:
    """Protocol settings as the strings the form shows."""
    values = {k: ("" if v is None else v) for k, v in settings.items()}
    schedule = settings.get("schedule") or {}
    if schedule.get("every"):
        values["every"], values["every_unit"] = schedule["every"], schedule.get("unit", "days")
    elif settings.get("interval_hours"):
        values["every"], values["every_unit"] = settings["interval_hours"], "hours"
    values["weekdays"] = schedule.get("weekdays") or []
    values["sites"] = ", ".join(settings.get("sites") or [])
    values["ladder"] = ", ".join(
        f"{step['dose']}:{step['weeks']}" if step.get("weeks") else str(step["dose"])
        for step in settings.get("ladder") or []
    )
    return values


def from_form(post: Any) -> dict[str, Any]:
    """Form strings back into protocol input; the ladder reads "0.25:4, 0.5:4, 1" (dose:weeks, last open-ended)."""
    data: dict[str, Any] = {field: post.get(field, "").strip() for field in FIELDS}
    weekdays = post.getlist("weekdays")
    if weekdays:
        data["schedule"] = {"weekdays": weekdays}
        data["every"] = ""
    steps = []
    for part in filter(None, (p.strip() for p in data["ladder"].split(","))):
        dose, _, weeks = part.partition(":")
        steps.append({"dose": dose.strip(), **({"weeks": int(weeks)} if weeks.strip().isdigit() else {})})
    data["ladder"] = steps
    return data


def _form_context(values: dict[str, Any], errors: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "units": [u.value for u in Unit],
        "routes": Route.choices,
        "every_units": EVERY_UNITS,
        "weekday_choices": list(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)),
        **extra,
    }


def _today(request: HttpRequest) -> Any:
    profile = Profile.objects.get_or_create(user=request.user)[0]
    return timezone.now().astimezone(profile.tz).date()


def protocol_list(request: HttpRequest) -> HttpResponse:
    protocols = Protocol.objects.for_user(request.user)
    return render(request, "protocols/protocol_list.html", {"protocols": protocols})


@require_http_methods(["GET", "POST"])
def protocol_new(request: HttpRequest) -> HttpResponse:
    """A protocol by hand, or prefilled from a guide's regimen (?guide=slug&regimen=key) and adjustable."""
    values: dict[str, Any] = {
        "unit": "mg",
        "route": "subcutaneous",
        "every_unit": "days",
        "starts_on": _today(request).isoformat(),
    }
    errors: dict[str, str] = {}
    slug = request.POST.get("guide") or request.GET.get("guide")
    guide = Guide.objects.filter(slug=slug).first() if slug else None
    if slug and guide is None:
        raise Http404
    if guide is not None and request.method == "GET":
        try:
            values = to_form(settings_from_guide(guide, request.GET.get("regimen", "")))
        except ProtocolInvalid:
            raise Http404 from None
        values["starts_on"] = _today(request).isoformat()
    if request.method == "POST":
        data = from_form(request.POST)
        values = {**data, "ladder": request.POST.get("ladder", ""), "weekdays": request.POST.getlist("weekdays")}
        if guide is not None:
            data["guide_version"] = guide.content_hash
        try:
            settings = clean_settings(data, today=_today(request))
            outcome = create_protocol(request.user, settings)
        except ProtocolInvalid as exc:
            errors = exc.errors
        except LedgerBusy:
            errors = {"__all__": "The server is busy; please press Save again."}
        else:
            return redirect("protocols:detail", uid=outcome.body["id"])
    title = f"Track {guide.title}" if guide else "New protocol"
    context = _form_context(values, errors, title=title, submit="Save protocol", guide=guide)
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
    from shotlee.doses.services import protocol_status

    profile = Profile.objects.get_or_create(user=request.user)[0]
    return render(
        request,
        "protocols/protocol_detail.html",
        {
            "protocol": protocol,
            "current": protocol.current,
            "versions": versions,
            "status": protocol_status(request.user, protocol, profile.tz),
            "monitor": _monitor(protocol),
            "started_in_past": protocol.current.starts_on < timezone.now().astimezone(profile.tz).date().isoformat(),
        },
    )


@require_http_methods(["GET", "POST"])
def protocol_edit(request: HttpRequest, uid: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    current = json.loads(protocol.settings)
    values = to_form(current)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = from_form(request.POST)
        # The guide link is not editable: it says where the protocol started.
        data.update({k: current.get(k) for k in ("guide", "guide_version", "regimen")})
        values = {**data, "ladder": request.POST.get("ladder", ""), "weekdays": request.POST.getlist("weekdays")}
        stop = request.POST.get("stop") == "1"
        try:
            settings = clean_settings(data, today=_today(request))
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


def _monitor(protocol: Protocol) -> list[dict[str, str]]:
    """The guide's metrics to monitor, as one-tap entries where a built-in type matches."""
    from shotlee.lib.metrics import ALIASES, BUILT_IN

    guide = Guide.objects.filter(slug=protocol.current.guide).first() if protocol.current.guide else None
    if guide is None:
        return []
    items = []
    for name in guide.data["metrics"]:
        key = ALIASES.get(name.casefold().strip())
        if key is None:
            key = next((k for alias, k in ALIASES.items() if alias in name.casefold()), None)
        items.append({"name": name, "key": key or "", "type_name": BUILT_IN[key].name if key else ""})
    return items
