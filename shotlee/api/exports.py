"""Exports of the caller's whole record (JSON, CSV, FHIR), and the check of a saved copy against today's history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from ninja import File, Router
from ninja.files import UploadedFile

from shotlee.accounts.http import ApiCall
from shotlee.reports import compare, exports

router = Router(tags=["exports"])

MAX_UPLOAD = 200 * 1024 * 1024
OPTIONAL_FILE: Any = File(None)  # type: ignore[type-arg]


def download(body: Iterable[Any], content_type: str, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/export.json", response={200: None, 401: dict})
def export_json(request: ApiCall) -> StreamingHttpResponse:
    """Every ledger record (all kinds, corrections included) exactly as hashed, the head, the latest signed
    checkpoint and the guide versions referenced. Verify it with `python -m shotlee.verify_export FILE`."""
    return download(exports.json_export(request.auth), "application/json", exports.filename(request.auth, "json"))


@router.get("/export.csv.zip", response={200: None, 401: dict})
def export_csv(request: ApiCall) -> StreamingHttpResponse:
    """One CSV per record kind: the effective view, amounts in the person's units, local times with their offset."""
    body = exports.csv_zip_export(request.auth, request.profile.tz, request.profile.preferred_units)
    return download(body, "application/zip", exports.filename(request.auth, "csv.zip"))


@router.get("/export.fhir.json", response={200: None, 401: dict})
def export_fhir(request: ApiCall) -> StreamingHttpResponse:
    """A FHIR R4 Bundle (type collection): MedicationAdministration, Observation and AdverseEvent resources."""
    body = exports.fhir_export(request.auth, request.profile.tz)
    return download(body, "application/fhir+json", exports.filename(request.auth, "fhir.json"))


@router.post("/export/verify", response={200: dict, 401: dict, 422: dict})
def verify_kept(request: ApiCall, file: UploadedFile = OPTIONAL_FILE) -> HttpResponse:
    """Upload an export or a checkpoint saved earlier (multipart `file`, or the JSON as the body): `ok` says whether
    today's history still extends it; otherwise `first_bad_seq` names the first missing or changed entry."""
    if file is not None:
        if file.size is not None and file.size > MAX_UPLOAD:
            return JsonResponse({"detail": "The file is larger than 200 MB."}, status=422)
        raw = file.read()
    elif request.content_type == "multipart/form-data":
        # A form with no `file` part: its body was read as the form and is not the export either.
        return JsonResponse({"detail": "Cannot compare: attach the export as the file named file."}, status=422)
    else:
        raw = request.body
    try:
        result = compare.compare_upload(request.auth, raw)
    except compare.Unreadable as exc:
        return JsonResponse({"detail": f"Cannot compare: {exc}."}, status=422)
    return JsonResponse(result.as_dict())
