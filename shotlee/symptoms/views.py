from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry
from shotlee.lib.localtime import to_local_input
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import last_dose
from shotlee.symptoms.forms import SideEffectForm, build_side_effect
from shotlee.symptoms.services import (
    SEVERITY_ANCHORS,
    SITE_REACTIONS,
    days_since_last_dose,
    record_side_effect,
    side_effects,
)
from shotlee.web.forms import status, submit

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


def quick_picks(protocol: Protocol | None) -> list[str]:
    """The protocol's guide's side effects first, then site reactions; no duplicates."""
    picks: list[str] = []
    if protocol is not None and protocol.current.guide:
        guide = Guide.objects.filter(slug=protocol.current.guide).first()
        if guide is not None:
            picks += guide.data["side_effects"]
    for pick in [*SITE_REACTIONS, "headache", "nausea", "fatigue"]:
        if pick.casefold() not in {p.casefold() for p in picks}:
            picks.append(pick)
    return picks[:16]


def side_effect_list(request: SignedIn) -> HttpResponse:
    tz = request.profile.tz
    protocols = list(Protocol.objects.for_user(request.user))
    chosen = next((p for p in protocols if str(p.uid) == request.GET.get("protocol")), None)
    symptom = request.GET.get("symptom", "").strip()[:80]
    period = request.GET.get("period", "")
    since = timezone.now() - timedelta(days=PERIODS[period]) if period in PERIODS else None
    rows = side_effects(request.user, protocol=chosen, symptom=symptom, since=since)[:200]
    names = {p.uid: p.name for p in protocols}
    items = [
        {
            "entry": e,
            "data": e.data,
            "ended_at": datetime.fromisoformat(e.data["ended_at"].replace("Z", "+00:00"))
            if e.data.get("ended_at")
            else None,
            "protocol": names.get(e.subject),
            "days": days_since_last_dose(request.user, e),
        }
        for e in rows
    ]
    context = {
        "items": items,
        "protocols": protocols,
        "chosen": chosen,
        "symptom": symptom,
        "period": period,
        "tz": tz,
        "anchors": SEVERITY_ANCHORS,
        "recorded": request.GET.get("recorded") == "1",
    }
    return render(request, "symptoms/side_effect_list.html", context)


@require_http_methods(["GET", "POST"])
def side_effect_log(request: SignedIn) -> HttpResponse:
    """Log a side effect in seconds: a quick pick or free text, a severity with anchors, the time."""
    tz = request.profile.tz
    protocols = list(Protocol.objects.for_user(request.user).active())
    chosen_id = request.POST.get("protocol") if request.method == "POST" else request.GET.get("protocol")
    protocol = None
    if chosen_id:
        protocol = next((p for p in protocols if str(p.uid) == chosen_id), None)
        if protocol is None:
            raise Http404
    elif len(protocols) == 1:
        protocol = protocols[0]
    initial = {"started_at": to_local_input(timezone.now(), tz), "client_entry_id": str(uuid.uuid4())}
    form = SideEffectForm(request.POST if request.method == "POST" else None, initial=initial, tz=tz)
    if form.is_bound and form.is_valid():
        data = {**form.values(), "protocol": protocol.uid if protocol else None}
        if form.cleaned_data["link_dose"] and protocol is not None:
            last = last_dose(request.user, protocol)
            data["dose"] = last.uid if last else None
        try:
            outcome, _ = submit(form, lambda: record_side_effect(request.user, build_side_effect(request.user, data)))
        except (Entry.DoesNotExist, Protocol.DoesNotExist):
            raise Http404 from None
        if outcome is not None:
            return redirect(reverse("symptoms:list") + "?recorded=1")
    values = {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {**initial}
    context = {
        "protocols": protocols,
        "protocol": protocol,
        "values": values,
        "errors": form.messages,
        "picks": quick_picks(protocol),
        "anchors": SEVERITY_ANCHORS,
        "sites": protocol.current.sites if protocol else [],
    }
    return render(request, "symptoms/side_effect_log.html", context, status=status(form, []))
