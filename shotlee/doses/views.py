from __future__ import annotations

import uuid
from datetime import date, tzinfo
from functools import partial
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.doses.forms import UNITS, DoseFields, DoseForm, build_dose
from shotlee.doses.services import record_dose
from shotlee.ledger.services import Outcome
from shotlee.lib import schedule
from shotlee.lib.localtime import to_local_input
from shotlee.protocols.guidance import guidance
from shotlee.protocols.models import Protocol
from shotlee.protocols.status import protocol_status, suggested_site
from shotlee.supplies.models import Supply
from shotlee.supplies.services import supply_for_dose, today_in
from shotlee.web.forms import PageForm, status, submit


@require_http_methods(["GET", "POST"])
def log_dose(request: SignedIn) -> HttpResponse:
    """Log a dose in a few taps; warnings come back on the same page with a "Record anyway" button."""
    tz = request.profile.tz
    protocols = list(Protocol.objects.for_user(request.user).active())
    if not protocols:
        return render(request, "doses/dose_log.html", {"protocols": []})
    chosen = request.GET.get("protocol") or request.POST.get("protocol")
    if chosen:
        protocol = next((p for p in protocols if str(p.uid) == chosen), None)
        if protocol is None:
            raise Http404
        state = protocol_status(request.user, protocol, tz)
    else:
        protocol, state = due_next(request.user, protocols, tz)
    all_sites = protocol.current.sites_mode == "all"
    initial = {
        "amount": str(state.dose),
        "unit": protocol.current.unit.value,
        "site": "" if all_sites else suggested_site(request.user, protocol),
        "occurred_at": to_local_input(timezone.now(), tz),
        "client_entry_id": str(uuid.uuid4()),
    }
    supplies = list(Supply.objects.for_user(request.user).in_use().filter(compound=protocol.compound)[:20])
    initial["supply"] = request.GET.get("supply", "")
    initial["syringe"] = "U-100"
    posted = request.method == "POST" and "amount" in request.POST
    form = DoseForm(request.POST if posted else None, initial=initial, tz=tz)
    warnings: list[dict[str, str]] = []
    if posted and form.is_valid():
        values = {**form.values(), "client_entry_id": form.cleaned_data["client_entry_id"]}
        if all_sites:
            values["sites"] = request.POST.getlist("sites")
        try:  # the supply chosen, or the first-expiring open one of this compound
            drawn_from = supply_for_dose(
                request.user, values.pop("supply"), protocol.compound, on=today_in(tz), unit=protocol.current.unit
            )
        except Supply.DoesNotExist:
            raise Http404 from None
        outcome, warnings = submit(
            form,
            lambda: record_dose(
                request.user, build_dose(values, protocol=protocol, defaults={}, supply=drawn_from), tz=tz
            ),
        )
        if outcome is not None:
            return redirect(reverse("history:list") + "?recorded=1")
    context = {
        "protocols": protocols,
        "protocol": protocol,
        "suggested_site": initial["site"],
        "values": _shown(form, initial),
        "errors": form.messages,
        "warnings": warnings,
        "units": [u for u, _ in UNITS] + (["syringe_units"] if supplies else []),
        "supplies": supplies,
        "sites": protocol.current.sites,
        "all_sites": all_sites,
        "chosen_sites": request.POST.getlist("sites") if posted else protocol.current.sites,
        "status": state,
        "guidance": guidance(protocol, state),
        "here": request.get_full_path(),
    }
    return render(request, "doses/dose_log.html", context, status=status(form, warnings))


def due_next(user: User, protocols: list[Protocol], tz: tzinfo) -> tuple[Protocol, Any]:
    """The protocol whose next dose is due soonest (most overdue first), with its status; one with nothing due
    (a finished course) comes last. A person with one protocol due today should not have to pick it."""
    states = [(p, protocol_status(user, p, tz)) for p in protocols]
    far = timezone.now().replace(year=9999)
    return min(states, key=lambda ps: ps[1].next_due or far)


def _shown(form: forms.Form, initial: dict[str, Any]) -> dict[str, Any]:
    """What the fields show: what was typed, or the initial values."""
    if not form.is_bound:
        return {**{name: "" for name in form.fields}, **initial}
    return {name: form.data.get(name, "") for name in form.fields}


BACKFILL_ROWS = 30


def _planned_rows(protocol: Protocol, tz: Any) -> list[dict[str, str]]:
    """Suggested past doses from the start date to now, by the schedule: a starting point the person edits."""
    current = protocol.current
    plan = current.plan()
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    now = timezone.now()
    if current.course:
        offsets = current.course["offsets_weeks"]
        planned = [schedule.course_due(None, offsets, i, starts_at) for i in range(len(offsets))]
        times = [t for t in planned if t is not None]
    else:
        times = schedule.upcoming(plan, starts_at, now, tz, limit=500) if plan is not None else [starts_at]
    times = [t for t in times if t <= now][-BACKFILL_ROWS:]
    sites = current.sites
    rows = []
    for i, at in enumerate(times):
        dose = current.dose
        if plan is not None and plan.ladder:  # the step each dose would be at if every earlier row is taken
            dose = plan.ladder[schedule.ladder_step(plan, i, current.confirmed_step) or 0].dose
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "include": "",
                "occurred_at": to_local_input(at, tz),
                "amount": str(dose),
                "site": sites[i % len(sites)] if sites else "",
            }
        )
    return rows


class BackfillRow(DoseFields):
    """One row of the back-fill table (the form's prefix is the row's id, which is also the dose's client id)."""

    include = forms.BooleanField(required=False)


@require_http_methods(["GET", "POST"])
def backfill(request: SignedIn, uid: UUID) -> HttpResponse:
    """Add past doses in one form (opt-in): each ticked row is an ordinary ledger record with its real time."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.user).active(), uid=uid)
    tz = request.profile.tz
    context: dict[str, Any] = {"protocol": protocol, "sites": protocol.current.sites}
    if request.method == "GET":
        return render(request, "doses/backfill.html", {**context, "rows": _planned_rows(protocol, tz)})
    rows = []
    for row_id in request.POST.getlist("row")[: BACKFILL_ROWS * 2]:
        try:
            client_id = uuid.UUID(row_id)
        except ValueError:
            continue
        form = BackfillRow(_row_data(request.POST, row_id), tz=tz)
        rows.append((client_id, form))
    pending, recorded = [], 0
    included = [(client_id, form) for client_id, form in rows if form.data.get("include")]
    for client_id, form in sorted(included, key=lambda pair: pair[1].data.get("occurred_at", "")):
        shown = {"id": str(client_id), **{k: form.data.get(k, "") for k in ("include", "occurred_at", "amount")}}
        shown["site"] = form.data.get("site", "")
        if not form.is_valid():
            pending.append({**shown, "error": _row_error(form)})
            continue
        values = {**form.values(), "client_entry_id": client_id}
        outcome, warnings = submit(form, partial(_record, request.user, values, protocol, tz))
        if outcome is not None:
            recorded += 1
        else:
            pending.append({**shown, "warnings": warnings, "error": _row_error(form) if form.errors else ""})
    if not pending:
        return redirect(reverse("history:list") + f"?backfilled={recorded}")
    return render(
        request, "doses/backfill.html", {**context, "rows": pending, "recorded": recorded, "retry": True}, status=409
    )


def _row_data(post: Any, row_id: str) -> dict[str, Any]:
    data: dict[str, Any] = {name: post.get(f"{name}-{row_id}", "").strip() for name in BackfillRow.base_fields}
    data["acknowledge"] = post.getlist(f"acknowledge-{row_id}")
    return data


def _record(user: User, values: dict[str, Any], protocol: Protocol, tz: tzinfo) -> Outcome:
    return record_dose(user, build_dose(values, protocol=protocol, defaults={}), tz=tz)


def _row_error(form: PageForm) -> str:
    return "; ".join(f"{label}: {message}" if label else message for label, message in form.messages.labelled)
