from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shotlee.accounts.http import SignedIn
from shotlee.accounts.models import Profile
from shotlee.accounts.services import user_for_calendar
from shotlee.ledger.models import LedgerHead
from shotlee.lib import rules
from shotlee.protocols.models import Protocol
from shotlee.reports import compare, exports, imports, pdf
from shotlee.reports.calendar import build_feed

MAX_UPLOAD = 200 * 1024 * 1024


@login_not_required
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by secret URL, so calendar apps can subscribe; a wrong or rotated token is a 404."""
    user = user_for_calendar(token)
    if user is None:
        raise Http404
    profile = Profile.objects.filter(user=user).first()
    response = HttpResponse(
        build_feed(user, profile.tz if profile else UTC), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="shotlee.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response


# ---- "Your data": downloads, the check of a kept copy, import, the clinician report


def _download(body: Iterable[Any], content_type: str, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def your_data(request: SignedIn) -> HttpResponse:
    return render(request, "reports/data.html", {"head": LedgerHead.objects.filter(user=request.user).first()})


def download_json(request: SignedIn) -> StreamingHttpResponse:
    return _download(exports.json_export(request.user), "application/json", exports.filename(request.user, "json"))


def download_csv(request: SignedIn) -> StreamingHttpResponse:
    body = exports.csv_zip_export(request.user, request.profile.tz, request.profile.preferred_units)
    return _download(body, "application/zip", exports.filename(request.user, "csv.zip"))


def download_fhir(request: SignedIn) -> StreamingHttpResponse:
    body = exports.fhir_export(request.user, request.profile.tz)
    return _download(body, "application/fhir+json", exports.filename(request.user, "fhir.json"))


@require_http_methods(["GET", "POST"])
def check_kept(request: SignedIn) -> HttpResponse:
    """Upload an export or checkpoint kept elsewhere: does today's history still extend it?"""
    result = error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose the file you saved: an export (.json) or a checkpoint."
        elif upload.size and upload.size > MAX_UPLOAD:
            error = "The file is larger than 200 MB."
        else:
            try:
                result = compare.compare_upload(request.user, upload.read())
            except compare.Unreadable as exc:
                error = f"Cannot compare: {exc}."
    status = 422 if error else 200
    return render(request, "reports/check.html", {"result": result, "error": error}, status=status)


IMPORT_SESSION_KEY = "shotlee-import"


@require_http_methods(["GET", "POST"])
def import_data(request: SignedIn) -> HttpResponse:
    """Upload a dose CSV or an export; rows that fail are listed by line, warnings are listed to acknowledge."""
    context: dict[str, Any] = {"columns": imports.CSV_COLUMNS}
    if request.method == "GET":
        request.session.pop(IMPORT_SESSION_KEY, None)
        return render(request, "reports/import.html", context)
    acknowledge = request.POST.get("acknowledge", "")
    if acknowledge:
        text = request.session.get(IMPORT_SESSION_KEY)
        if not isinstance(text, str):
            context["error"] = "The file to import is no longer here; choose it again."
            return render(request, "reports/import.html", context, status=422)
    else:
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose a file to import: a CSV of doses or a Shotlee export (.json)."
            return render(request, "reports/import.html", context, status=422)
        if upload.size and upload.size > imports.MAX_BYTES:
            context["error"] = "The file is larger than 20 MB; split it into smaller files."
            return render(request, "reports/import.html", context, status=422)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            context["error"] = "The file is not UTF-8 text; save the spreadsheet as “CSV UTF-8”."
            return render(request, "reports/import.html", context, status=422)
    tz = request.profile.tz
    try:
        steps, skipped = imports.steps_for(request.user, text.encode(), tz)
        result = imports.run(request.user, steps, tz=tz, acknowledge=acknowledge, skipped=skipped)
    except imports.ImportRejected as exc:
        request.session.pop(IMPORT_SESSION_KEY, None)
        context["rejected"] = [
            {"label": label, "fields": sorted(fields.items())} for label, fields in list(exc.errors.items())[:200]
        ]
        context["rejected_more"] = max(0, len(exc.errors) - 200)
        return render(request, "reports/import.html", context, status=422)
    except imports.ImportNeedsConfirmation as exc:
        request.session[IMPORT_SESSION_KEY] = text
        context["pending"] = [
            {
                "label": label,
                "warnings": [{"label": rules.LABELS.get(w.code, w.code), "message": w.message} for w in found],
            }
            for label, found in exc.warnings.items()
        ]
        context["digest"] = exc.digest
        return render(request, "reports/import.html", context, status=409)
    request.session.pop(IMPORT_SESSION_KEY, None)
    context["result"] = result
    return render(request, "reports/import.html", context)


def import_template(request: SignedIn) -> HttpResponse:
    response = HttpResponse(imports.CSV_TEMPLATE, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shotlee-doses-template.csv"'
    return response


def clinician_report(request: SignedIn) -> HttpResponse:
    """Choose a protocol and period; with `make=1` the answer is the PDF."""
    tz = request.profile.tz
    protocols = list(Protocol.objects.for_user(request.user))
    today = timezone.now().astimezone(tz).date()
    values = {
        "protocol": request.GET.get("protocol", ""),
        "since": request.GET.get("since") or (today - timedelta(days=90)).isoformat(),
        "until": request.GET.get("until") or today.isoformat(),
    }
    errors: dict[str, str] = {}
    if request.GET.get("make"):
        protocol = None
        try:
            protocol = Protocol.objects.for_user(request.user).filter(uid=uuid.UUID(values["protocol"])).first()
        except ValueError:
            errors["protocol"] = "Choose one of your protocols."
        if protocol is None and not errors:
            raise Http404
        dates = {}
        for name, label in (("since", "From"), ("until", "To")):
            try:
                dates[name] = date.fromisoformat(values[name])
            except ValueError:
                errors[name] = f"{label} must be a date like 2026-01-31."
        if not errors and dates["since"] > dates["until"]:
            errors["until"] = "To must be on or after From."
        if not errors and (dates["until"] - dates["since"]).days > 3660:
            errors["since"] = "The period can be at most ten years."
        if not errors and protocol is not None:
            period = pdf.Period(dates["since"], dates["until"])
            body = pdf.build_report(request.user, protocol, period, tz, request.profile.preferred_units)
            response = HttpResponse(body, content_type="application/pdf")
            name = f"shotlee-report-{dates['since']:%Y%m%d}-{dates['until']:%Y%m%d}.pdf"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    context = {"protocols": protocols, "values": values, "errors": errors}
    return render(request, "reports/report.html", context, status=422 if errors else 200)
