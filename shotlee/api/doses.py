from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router
from pydantic import ConfigDict

from shotlee.accounts.http import ApiCall
from shotlee.api.common import Input, Number, Time, idempotency, respond
from shotlee.doses.forms import build_dose
from shotlee.doses.services import record_dose
from shotlee.ledger import kinds, reads, records
from shotlee.ledger.models import Entry
from shotlee.lib.errors import InvalidInput
from shotlee.protocols.models import DOSE, Protocol

router = Router(tags=["doses"])

MAX_PAGE = 200


class DoseIn(Input):
    model_config = ConfigDict(extra="forbid")

    protocol: UUID | None = None
    compound: str | None = Field(None, max_length=120)
    amount: Number
    unit: str | None = Field(None, max_length=16)
    route: str | None = Field(None, max_length=20)
    site: str = Field("", max_length=60)
    occurred_at: Time | None = None
    note: str = Field("", max_length=2000)
    acknowledge: list[str] = Field(default_factory=list, max_length=10)
    client_entry_id: UUID | None = None


class CorrectionIn(Input):
    model_config = ConfigDict(extra="forbid")

    action: Literal["void", "correct"]
    reason: str = Field(..., min_length=1, max_length=500)
    amount: Number | None = None
    unit: str | None = Field(None, max_length=16)
    route: str | None = Field(None, max_length=20)
    site: str | None = Field(None, max_length=60)
    occurred_at: Time | None = None
    note: str | None = Field(None, max_length=2000)
    acknowledge: list[str] = Field(default_factory=list, max_length=10)
    # side effects
    symptom: str | None = Field(None, max_length=80)
    severity: int | None = None
    started_at: Time | None = None
    ended_at: Time | None = None
    # metrics
    value: Number | None = None
    value2: Number | None = None
    measured_at: Time | None = None


class DoseFilters(Input):
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=80)
    include: Literal["corrections"] | None = None


@router.post("", response={201: dict, 404: dict, 409: dict, 422: dict})
def create_dose(request: ApiCall, payload: DoseIn) -> HttpResponse:
    """Record a dose. When a safety rule fires and is not acknowledged: 409 with the warnings, nothing recorded."""
    user = request.auth
    protocol = None
    if payload.protocol is not None:
        protocol = Protocol.objects.for_user(user).get(uid=payload.protocol)
    elif not (payload.compound or "").strip():
        raise InvalidInput({"protocol": "give a protocol id, or a compound for a dose outside any protocol"})
    dose = build_dose(payload.model_dump(), protocol=protocol, defaults={})
    return respond(record_dose(user, dose, tz=request.profile.tz, **idempotency(request)))


def _cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    try:
        stamp, seq = raw.rsplit("_", 1)
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        at = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        at, seq = None, ""
    # What next_cursor holds: an aware time and a seq of ASCII digits that fits the database's 64-bit integer.
    if at is None or not (seq.isascii() and seq.isdigit() and len(seq) <= 18):
        raise InvalidInput({"cursor": "is not a cursor this API returned"})
    return at, int(seq)


@router.get("", response={200: dict, 422: dict})
def list_doses(request: ApiCall, filters: Query[DoseFilters]) -> HttpResponse:
    """Doses, newest first; the effective view unless include=corrections. Keyset-paginated by `cursor`."""
    user = request.auth
    effective = filters.include != "corrections"
    page = reads.kind_page(user.pk, DOSE, effective=effective, after=_cursor(filters.cursor), limit=filters.limit + 1)
    more = len(page) > filters.limit
    page = page[: filters.limit]
    replaced = {} if effective else records.superseding(user, page)
    items = [records.entry_body(e, superseded_by=replaced.get(e.seq)) for e in page]
    cursor = f"{items[-1]['occurred_at']}_{items[-1]['seq']}" if more else None
    return JsonResponse({"items": items, "next_cursor": cursor})


entries_router = Router(tags=["ledger"])


@entries_router.post("/{entry_id}/corrections", response={201: dict, 404: dict, 409: dict, 422: dict})
def create_correction(request: ApiCall, entry_id: UUID, payload: CorrectionIn) -> HttpResponse:
    """Void a dose ("entered in error") or correct it with new values; the original is kept."""
    user = request.auth
    target = get_object_or_404(Entry.objects.for_user(user), uid=entry_id)
    reason = payload.reason.strip()
    if payload.action == "void":
        return respond(records.void_entry(user, entry_id, reason, **idempotency(request)))
    corrector = kinds.get(target.kind).corrector
    if corrector is None:
        records.correctable(user, entry_id)  # says why this record cannot be corrected
        raise records.CorrectionRefused(f"entry #{target.seq} can only be voided")
    changes = {k: v for k, v in payload.model_dump(exclude={"action", "reason"}).items() if v not in (None, [])}
    return respond(corrector.correct(user, entry_id, changes, reason, tz=request.profile.tz, **idempotency(request)))
