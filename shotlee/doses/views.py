from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from shotlee.accounts.models import Profile
from shotlee.doses.forms import build_dose
from shotlee.doses.render import history_entries
from shotlee.doses.services import (
    CorrectionRefused,
    DoseConflict,
    correct_entry,
    protocol_status,
    record_dose,
    suggested_site,
)
from shotlee.ledger import sql
from shotlee.ledger.models import Entry, Kind
from shotlee.ledger.services import LedgerBusy
from shotlee.ledger.verify import verify_user, verify_window
from shotlee.lib import rules
from shotlee.lib.errors import InvalidInput
from shotlee.lib.localtime import parse_local, to_local_input
from shotlee.lib.units import Unit, from_micro
from shotlee.protocols.models import Protocol

PAGE = 25


def _profile(request: HttpRequest) -> Profile:
    """The profile the time-zone middleware loaded for this request, or one from the database."""
    return getattr(request, "profile", None) or Profile.objects.get_or_create(user=request.user)[0]


@require_http_methods(["GET", "POST"])
def log_dose(request: HttpRequest) -> HttpResponse:
    """Log a dose in a few taps; warnings come back on the same page with a "Record anyway" button."""
    tz = _profile(request).tz
    protocols = list(Protocol.objects.for_user(request.user).active())
    if not protocols:
        return render(request, "doses/dose_log.html", {"protocols": []})
    chosen = request.GET.get("protocol") or request.POST.get("protocol") or str(protocols[0].uid)
    protocol = next((p for p in protocols if str(p.uid) == chosen), None)
    if protocol is None:
        raise Http404
    values = {
        "protocol": str(protocol.uid),
        "amount": str(protocol_status(request.user, protocol, tz).dose),
        "unit": protocol.current.unit.value,
        "site": suggested_site(request.user, protocol),
        "occurred_at": to_local_input(timezone.now(), tz),
        "note": "",
        "client_entry_id": str(uuid.uuid4()),
    }
    errors: dict[str, str] = {}
    warnings: list[dict[str, str]] = []
    if request.method == "POST" and "amount" in request.POST:
        values = {key: request.POST.get(key, "").strip() for key in values}
        data: dict[str, Any] = {
            "amount": values["amount"],
            "unit": values["unit"],
            "site": values["site"],
            "note": values["note"],
            "acknowledge": request.POST.getlist("acknowledge"),
        }
        try:
            data["client_entry_id"] = uuid.UUID(values["client_entry_id"])
        except ValueError:
            data["client_entry_id"] = None
        try:
            data["occurred_at"] = parse_local(values["occurred_at"], tz) if values["occurred_at"] else None
        except ValueError as exc:
            errors["occurred_at"] = str(exc)
        if not errors:
            try:
                dose = build_dose(data, protocol=protocol, defaults={})
                record_dose(request.user, dose, tz=tz)
            except InvalidInput as exc:
                errors = exc.errors
            except DoseConflict as exc:
                warnings = [{**w.as_dict(), "label": rules.LABELS[w.code]} for w in exc.warnings]
            except LedgerBusy:
                errors = {"__all__": "The server is busy; nothing was recorded. Please press the button again."}
            else:
                return redirect(reverse("doses:history") + "?recorded=1")
    context = {
        "protocols": protocols,
        "protocol": protocol,
        "values": values,
        "errors": errors,
        "warnings": warnings,
        "units": [u.value for u in Unit],
        "sites": protocol.current.sites,
    }
    return render(request, "doses/dose_log.html", context, status=409 if warnings else (422 if errors else 200))


def _when(value: Any, tz: Any) -> str:
    return value.astimezone(tz).strftime("%a %-d %b %Y, %H:%M")


def _summary(entry: Entry, data: dict[str, Any]) -> str:
    """One line saying what the record is; formatted here, not in the template, to keep the page fast."""
    if entry.kind == Kind.DOSE:
        site = f" · {data['site']}" if data.get("site") else ""
        return f"{from_micro(entry.amount_micro or 0)} {entry.unit} {data.get('compound_name', '')}{site}"
    if entry.kind == Kind.SIDE_EFFECT:
        return f"Side effect: {data['symptom']}, severity {data['severity']}/10"
    if entry.kind == Kind.METRIC:
        value = data["value"] + (f"/{data['value2']}" if data.get("value2") else "")
        return f"{data['name']}: {value} {data['unit']}"
    if entry.kind == Kind.VOID:
        return f"Entered in error: #{entry.target_seq}, “{data.get('reason', '')}”"
    settings = data.get("settings") or {}
    return f"Protocol {data.get('action', '')}: {settings.get('name', '')} — {settings.get('dose', '')} {settings.get('unit', '')}"


def history(request: HttpRequest) -> HttpResponse:
    """The whole record, newest first, keyset-paginated on seq so page one costs the same at any size."""
    tz = _profile(request).tz
    before = request.GET.get("before", "")
    # Only what the "Older entries" link makes: ASCII digits that fit the database's 64-bit integer.
    valid = before.isascii() and before.isdigit() and len(before) <= 18
    head, rows = sql.history_page(request.user.pk, int(before) if valid else None, PAGE)
    page = [entry for entry, _, _ in rows]
    correct_dose = reverse("doses:correct", args=[uuid.UUID(int=0)]).replace(str(uuid.UUID(int=0)), "{}")
    correct_other = reverse("doses:correct_record", args=[uuid.UUID(int=0)]).replace(str(uuid.UUID(int=0)), "{}")
    items = []
    for entry, _, replacement in rows:  # replacement: (seq, kind) of the void or correction that replaced it
        data = entry.data
        correctable = entry.kind in (Kind.DOSE, Kind.SIDE_EFFECT, Kind.METRIC) and replacement is None
        items.append(
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "summary": _summary(entry, data),
                "when": _when(entry.occurred_at, tz),
                "iso": entry.occurred_at.isoformat(),
                "recorded": _when(entry.recorded_at, tz),
                "backdated": (entry.recorded_at - entry.occurred_at).total_seconds() > 600,
                "target_seq": entry.target_seq if entry.kind != Kind.VOID else None,
                "reason": data.get("reason", "") if entry.kind != Kind.VOID else "",
                "note": data.get("note", ""),
                "acks": [{**w, "label": rules.LABELS.get(w["code"], w["code"])} for w in data.get("acknowledged", [])],
                "replaced_by": replacement[0] if replacement else None,
                "voided": replacement is not None and replacement[1] == Kind.VOID,
                "correct_url": (correct_dose if entry.kind == Kind.DOSE else correct_other).format(entry.uid)
                if correctable
                else "",
            }
        )
    # Check what is shown: each entry's hash, links and signed checkpoints, and that page one ends at the head.
    signed = {entry.seq: checkpoint for entry, checkpoint, _ in rows if checkpoint is not None}
    page_ok = verify_window(request.user.pk, list(reversed(page)), signed=signed)
    if page and not before and (page[0].seq != head.seq or page[0].hash != head.head_hash):
        page_ok = False
    older = page[-1].seq if page and page[-1].seq > 1 else None
    context = {
        "entries": history_entries(items),  # the list as HTML: see doses/render.py
        "head": head,
        "page_ok": page_ok,
        "older": older,
        "recorded": request.GET.get("recorded") == "1",
        "backfilled": request.GET.get("backfilled", ""),
    }
    return render(request, "doses/history.html", context)


@require_POST
def verify_chain(request: HttpRequest) -> HttpResponse:
    verdict = verify_user(request.user.pk)
    return render(request, "doses/verify_result.html", {"verdict": verdict})


@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, uid: UUID) -> HttpResponse:
    target = get_object_or_404(Entry.objects.for_user(request.user).filter(kind=Kind.DOSE), uid=uid)
    tz = _profile(request).tz
    protocol = Protocol.objects.for_user(request.user).filter(uid=target.subject).first() if target.subject else None
    data = target.data
    values = {
        "action": "void",
        "reason": "",
        "amount": data.get("amount", ""),
        "unit": target.unit,
        "site": data.get("site", ""),
        "occurred_at": to_local_input(target.occurred_at, tz),
        "note": data.get("note", ""),
    }
    errors: dict[str, str] = {}
    warnings: list[dict[str, str]] = []
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        if not values["reason"]:
            errors["reason"] = "Say why, so the record explains itself later."
        if values["action"] not in ("void", "correct"):
            errors["action"] = "Choose void or correct."
        replacement = None
        if not errors and values["action"] == "correct":
            fields: dict[str, Any] = {
                "amount": values["amount"],
                "unit": values["unit"],
                "site": values["site"],
                "note": values["note"],
                "acknowledge": request.POST.getlist("acknowledge"),
            }
            try:
                fields["occurred_at"] = parse_local(values["occurred_at"], tz)
            except ValueError as exc:
                errors["occurred_at"] = str(exc)
            if not errors:
                defaults = {"compound": data.get("compound_name") or target.compound, "route": data.get("route", "")}
                try:
                    replacement = build_dose(fields, protocol=protocol, defaults=defaults)
                except InvalidInput as exc:
                    errors = exc.errors
        if not errors:
            try:
                correct_entry(
                    request.user,
                    target.uid,
                    action=values["action"],
                    reason=values["reason"],
                    replacement=replacement,
                    tz=tz,
                )
            except DoseConflict as exc:
                warnings = [{**w.as_dict(), "label": rules.LABELS[w.code]} for w in exc.warnings]
            except CorrectionRefused as exc:
                errors = {"__all__": str(exc)}
            except LedgerBusy:
                errors = {"__all__": "The server is busy; nothing was recorded. Please press the button again."}
            else:
                return redirect("doses:history")
    context = {
        "target": target,
        "data": data,
        "amount": from_micro(target.amount_micro or 0),
        "values": values,
        "errors": errors,
        "warnings": warnings,
        "units": [u.value for u in Unit],
        "protocol": protocol,
    }
    status = 409 if warnings else (422 if errors else 200)
    return render(request, "doses/entry_correct.html", context, status=status)


BACKFILL_ROWS = 30


def _planned_rows(user: Any, protocol: Protocol, tz: Any) -> list[dict[str, str]]:
    """Suggested past doses from the start date to now, by the schedule: a starting point the person edits."""
    from datetime import date

    from shotlee.lib import schedule

    current = protocol.current
    plan = current.plan()
    starts_at = schedule.start_of(date.fromisoformat(current.starts_on), tz)
    now = timezone.now()
    times = schedule.upcoming(plan, starts_at, now, tz, limit=500) if plan is not None else [starts_at]
    times = [t for t in times if t <= now][-BACKFILL_ROWS:]
    sites = current.sites
    rows = []
    for i, at in enumerate(times):
        dose = current.dose
        if plan is not None and plan.ladder:
            dose = plan.ladder[schedule.ladder_step(plan, times[0], at)].dose
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


@require_http_methods(["GET", "POST"])
def backfill(request: HttpRequest, uid: UUID) -> HttpResponse:
    """Add past doses in one form (opt-in): each ticked row is an ordinary ledger record with its real time."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.user).active(), uid=uid)
    tz = _profile(request).tz
    if request.method == "GET":
        rows = _planned_rows(request.user, protocol, tz)
        return render(
            request, "doses/backfill.html", {"protocol": protocol, "rows": rows, "sites": protocol.current.sites}
        )
    ids = request.POST.getlist("row")[: BACKFILL_ROWS * 2]
    rows = []
    for row_id in ids:
        rows.append(
            {
                "id": row_id,
                "include": request.POST.get(f"include-{row_id}", ""),
                "occurred_at": request.POST.get(f"occurred_at-{row_id}", "").strip(),
                "amount": request.POST.get(f"amount-{row_id}", "").strip(),
                "site": request.POST.get(f"site-{row_id}", "").strip(),
                "acknowledge": request.POST.getlist(f"acknowledge-{row_id}"),
            }
        )
    pending = []
    recorded = 0

    def when(row: dict[str, Any]) -> str:
        return row["occurred_at"]

    for row in sorted((r for r in rows if r["include"]), key=when):
        try:
            row_uid = uuid.UUID(row["id"])
            occurred_at = parse_local(row["occurred_at"], tz)
            dose = build_dose(
                {
                    "amount": row["amount"],
                    "site": row["site"],
                    "occurred_at": occurred_at,
                    "acknowledge": row["acknowledge"],
                    "client_entry_id": row_uid,
                },
                protocol=protocol,
                defaults={},
            )
            record_dose(request.user, dose, tz=tz)
        except ValueError as exc:  # InvalidInput is a ValueError; so is a bad time or id
            row["error"] = (
                "; ".join(f"{k}: {v}" for k, v in exc.errors.items()) if isinstance(exc, InvalidInput) else str(exc)
            )
            pending.append(row)
        except DoseConflict as exc:
            row["warnings"] = [{**w.as_dict(), "label": rules.LABELS[w.code]} for w in exc.warnings]
            pending.append(row)
        except LedgerBusy:
            row["error"] = "The server was busy; press the button again."
            pending.append(row)
        else:
            recorded += 1
    if not pending:
        return redirect(reverse("doses:history") + f"?backfilled={recorded}")
    context = {
        "protocol": protocol,
        "rows": pending,
        "sites": protocol.current.sites,
        "recorded": recorded,
        "retry": True,
    }
    return render(request, "doses/backfill.html", context, status=409)


@require_http_methods(["GET", "POST"])
def correct_record(request: HttpRequest, uid: UUID) -> HttpResponse:
    """Void or correct a side effect or a metric reading; the original stays, struck through in the history."""
    from shotlee.ledger.services import CorrectionRefused as Refused
    from shotlee.ledger.services import void, write
    from shotlee.metrics.services import correct_metric
    from shotlee.symptoms.services import correct_side_effect

    target = get_object_or_404(
        Entry.objects.for_user(request.user).filter(kind__in=[Kind.SIDE_EFFECT, Kind.METRIC]), uid=uid
    )
    tz = _profile(request).tz
    data = target.data
    values = {
        "action": "correct" if target.kind == Kind.SIDE_EFFECT and not data.get("ended_at") else "void",
        "reason": "",
    }
    if target.kind == Kind.SIDE_EFFECT:
        values.update({"ended_at": "", "severity": str(data["severity"])})
    else:
        values.update(
            {
                "value": data["entered"]["value"],
                "value2": data["entered"].get("value2", ""),
                "unit": data["entered"]["unit"],
            }
        )
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in values}
        if not values["reason"]:
            errors["reason"] = "Say why, so the record explains itself later."
        changes: dict[str, Any] = {}
        if target.kind == Kind.SIDE_EFFECT:
            try:
                changes["ended_at"] = parse_local(values["ended_at"], tz) if values["ended_at"] else None
            except ValueError as exc:
                errors["ended_at"] = str(exc)
            changes["severity"] = values["severity"] or None
        else:
            changes = {"value": values["value"], "value2": values["value2"] or None, "unit": values["unit"]}
        if not errors:
            try:
                if values["action"] == "void":
                    write(
                        request.user,
                        lambda head: _void_outcome(void(head, _fresh(request.user, uid), values["reason"])),
                    )
                elif target.kind == Kind.SIDE_EFFECT:
                    correct_side_effect(request.user, uid, changes, values["reason"])
                else:
                    correct_metric(request.user, uid, changes, values["reason"])
            except InvalidInput as exc:
                errors = exc.errors
            except Refused as exc:
                errors = {"__all__": str(exc)}
            except LedgerBusy:
                errors = {"__all__": "The server is busy; nothing was recorded. Please press the button again."}
            else:
                return redirect("symptoms:list" if target.kind == Kind.SIDE_EFFECT else "metrics:list")
    context = {"target": target, "data": data, "values": values, "errors": errors}
    return render(request, "doses/record_correct.html", context, status=422 if errors else 200)


def _fresh(user: Any, uid: UUID) -> Entry:
    from shotlee.ledger.services import correctable

    return correctable(user, uid)


def _void_outcome(entry: Entry) -> Any:
    from shotlee.ledger.services import Outcome

    return Outcome(201, {"seq": entry.seq})
