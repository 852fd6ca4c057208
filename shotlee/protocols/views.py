from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from shotlee.accounts.http import SignedIn
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry
from shotlee.ledger.services import LedgerBusy, Outcome
from shotlee.lib import durations
from shotlee.lib.errors import InvalidInput
from shotlee.lib.metrics import ALIASES, BUILT_IN
from shotlee.protocols.forms import ProtocolForm, carry_over, context, to_form
from shotlee.protocols.guidance import guidance
from shotlee.protocols.models import PROTOCOL, Protocol
from shotlee.protocols.services import (
    change_protocol,
    confirm_step,
    create_protocol,
    delete_protocol,
    has_doses,
    settings_from_guide,
)
from shotlee.protocols.settings_input import clean_settings
from shotlee.protocols.status import protocol_status
from shotlee.web.forms import status, submit


def _today(request: SignedIn) -> date:
    return timezone.now().astimezone(request.profile.tz).date()


def protocol_list(request: SignedIn) -> HttpResponse:
    protocols = Protocol.objects.for_user(request.user)
    return render(request, "protocols/protocol_list.html", {"protocols": protocols})


def _typed(form: ProtocolForm) -> dict[str, Any]:
    """What the fields show after a post: what was typed."""
    return {
        **{name: form.data.get(name, "") for name in form.fields},
        "weekdays": form.data.getlist("weekdays") if hasattr(form.data, "getlist") else [],
    }


@require_http_methods(["GET", "POST"])
def protocol_new(request: SignedIn) -> HttpResponse:
    """A protocol by hand, or prefilled from a guide's regimen (?guide=slug&regimen=key) and adjustable."""
    today = _today(request)
    values: dict[str, Any] = {
        "unit": "mg",
        "route": "subcutaneous",
        "every_unit": "days",
        "min_interval_unit": "days",
        "window_unit": "days",
        "starts_on": str(today),
    }
    slug = request.POST.get("guide") or request.GET.get("guide")
    guide = Guide.objects.filter(slug=slug).first() if slug else None
    if slug and guide is None:
        raise Http404
    if guide is not None and request.method == "GET":
        try:
            values = {**to_form(settings_from_guide(guide, request.GET.get("regimen", ""))), "starts_on": str(today)}
        except InvalidInput:
            raise Http404 from None
    form = ProtocolForm(request.POST if request.method == "POST" else None, tz=request.profile.tz)
    if form.is_bound:
        values = _typed(form)
        if form.is_valid():
            data = form.settings_input()

            def create() -> Outcome:
                settings = data
                if guide is not None:
                    settings = carry_over(data, settings_from_guide(guide, data.get("regimen") or ""))
                    settings["guide_version"] = guide.content_hash
                return create_protocol(request.user, clean_settings(settings, today=today))

            outcome, _ = submit(form, create)
            if outcome is not None:
                return redirect("protocols:detail", uid=outcome.body["id"])
    title = f"Track {guide.title}" if guide else "New protocol"
    page = context(form, values, title=title, submit="Save protocol", guide=guide)
    return render(request, "protocols/protocol_form.html", page, status=status(form, []))


def protocol_detail(request: SignedIn, uid: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    versions = [
        {"seq": seq, "at": at, "data": (data := json.loads(payload)), "text": version_text(data)}
        for seq, at, payload in Entry.objects.for_user(request.user)
        .of_kind(PROTOCOL)
        .filter(subject=protocol.uid)
        .order_by("-seq")
        .values_list("seq", "occurred_at", "payload")
    ]
    tz = request.profile.tz
    status = protocol_status(request.user, protocol, tz)
    return render(
        request,
        "protocols/protocol_detail.html",
        {
            "protocol": protocol,
            "current": protocol.current,
            "versions": versions,
            "status": status,
            "guidance": (found := guidance(protocol, status)),
            "regimen": found.guide.regimen(protocol.current.regimen)
            if found.guide and protocol.current.regimen
            else None,
            "monitor": _monitor(protocol),
            "started_in_past": protocol.current.starts_on < str(_today(request)),
            "limits": limits_text(json.loads(protocol.settings)),
            "deletable": not has_doses(request.user, protocol),
        },
    )


ACTIONS = {"start": "Started", "change": "Changed", "stop": "Stopped", "step": "Moved to the next step"}


def limits_text(settings: dict[str, Any]) -> dict[str, str]:
    """A version's limits in words: durations in days or weeks, amounts with their unit."""
    unit = settings.get("unit") or ""
    out = {"min_gap": "", "max_single": "", "window": ""}
    if settings.get("min_interval_hours"):
        out["min_gap"] = durations.text(settings["min_interval_hours"])
    if settings.get("max_single_dose"):
        out["max_single"] = f"{settings['max_single_dose']} {unit}"
    if settings.get("window_hours") and settings.get("window_max"):
        out["window"] = f"{settings['window_max']} {unit} in {durations.text(settings['window_hours'])}"
    return out


def version_text(data: dict[str, Any]) -> str:
    """One version of a protocol as a line a person reads (no sequence number, no field names)."""
    settings = data.get("settings") or {}
    limits = limits_text(settings)
    parts = [f"{settings.get('dose', '')} {settings.get('unit', '')}".strip()]
    if limits["min_gap"]:
        parts.append(f"at least {limits['min_gap']} apart")
    if limits["max_single"]:
        parts.append(f"at most {limits['max_single']} per dose")
    if limits["window"]:
        parts.append(f"at most {limits['window']}")
    return f"{ACTIONS.get(data.get('action', ''), 'Changed')} — {', '.join(parts)}"


@require_http_methods(["GET", "POST"])
def protocol_edit(request: SignedIn, uid: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    current = json.loads(protocol.settings)
    values = to_form(current)
    form = ProtocolForm(request.POST if request.method == "POST" else None, tz=request.profile.tz)
    if form.is_bound:
        values = _typed(form)
        if form.is_valid():
            data = carry_over(form.settings_input(), current)
            # The guide link is not editable: it says where the protocol started.
            data.update({k: current.get(k) for k in ("guide", "guide_version", "regimen")})
            stop = request.POST.get("stop") == "1"
            outcome, _ = submit(
                form,
                lambda: change_protocol(request.user, protocol, clean_settings(data, today=_today(request)), stop=stop),
            )
            if outcome is not None:
                return redirect("protocols:detail", uid=protocol.uid)
    page = context(form, values, title=f"Change {protocol.name}", submit="Save as a new version", protocol=protocol)
    return render(request, "protocols/protocol_form.html", page, status=status(form, []))


@require_POST
def protocol_step(request: SignedIn, uid: UUID) -> HttpResponse:
    """ "I am moving to step N": the person confirms a titration step (a recorded protocol change)."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.user).active(), uid=uid)
    step = request.POST.get("step", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    try:
        confirm_step(request.user, protocol, int(step) - 1 if step.isdigit() else -1, today=_today(request))
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.errors.values()).capitalize())
    except LedgerBusy:
        messages.error(request, "The server is busy; nothing was recorded. Please press the button again.")
    else:
        messages.success(request, f"Recorded: you moved to step {step}.")
    return redirect(back or reverse("protocols:detail", args=[protocol.uid]))


@require_POST
def protocol_delete(request: SignedIn, uid: UUID) -> HttpResponse:
    """Delete a protocol with no doses (recorded in the ledger like every change); one with doses is refused."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.user), uid=uid)
    try:
        delete_protocol(request.user, protocol)
    except InvalidInput as exc:
        messages.error(request, "This protocol " + " ".join(exc.errors.values()) + ".")
        return redirect("protocols:detail", uid=protocol.uid)
    except LedgerBusy:
        messages.error(request, "The server is busy; nothing was deleted. Please press the button again.")
        return redirect("protocols:detail", uid=protocol.uid)
    messages.success(request, f"Deleted {protocol.name}. The history keeps a record that it existed.")
    return redirect("protocols:list")


def _monitor(protocol: Protocol) -> list[dict[str, str]]:
    """The guide's metrics to monitor, as one-tap entries where a built-in type matches."""
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
