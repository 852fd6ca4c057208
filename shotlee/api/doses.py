from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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
from shotlee.supplies.services import supply_for_dose, today_in

router = Router(tags=["doses"])

MAX_PAGE = 200


# What next_cursor holds: the last item's time (UTC, six fractional digits; a dose's time lies between 1900 and
# now) and its seq. The pattern is in the OpenAPI document, so any text it admits is a position in the list: a
# day past the month's end rolls over into the next month instead of being refused.
CURSOR = re.compile(
    r"^(?P<y>(?:19|20)[0-9]{2})-(?P<mo>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"T(?P<h>[01][0-9]|2[0-3]):(?P<mi>[0-5][0-9]):(?P<s>[0-5][0-9])\.(?P<us>[0-9]{6})Z_(?P<seq>[0-9]{1,18})$"
)


class DoseIn(Input):
    model_config = ConfigDict(extra="forbid")

    protocol: UUID | None = None
    compound: str | None = Field(None, max_length=120)
    amount: Number
    unit: str | None = Field(
        None, max_length=16, description='mg, mcg, IU, mL, units; or "syringe_units" (with a supply)'
    )
    supply: UUID | None = Field(
        None, description="the supply drawn from; by default the first-expiring open one of the compound"
    )
    syringe: Literal["U-100", "U-40"] | None = Field(
        None, description="the syringe a dose in syringe units was read on"
    )
    route: str | None = Field(None, max_length=20)
    site: str = Field("", max_length=60)
    sites: list[str] | None = Field(None, max_length=40, description="the zones treated in one session")
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
    cursor: str | None = Field(None, max_length=80, pattern=CURSOR.pattern)
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
    tz = request.profile.tz
    compound = protocol.compound if protocol is not None else (payload.compound or "")
    unit = protocol.current.unit if protocol is not None else None
    supply = supply_for_dose(user, payload.supply, compound, on=today_in(tz), unit=unit)
    dose = build_dose(payload.model_dump(exclude={"supply"}), protocol=protocol, defaults={}, supply=supply)
    return respond(record_dose(user, dose, tz=tz, **idempotency(request)))


def _cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    match = CURSOR.match(raw)
    if match is None:  # the schema refuses it first; kept for callers that skip the schema
        raise InvalidInput({"cursor": "is not a cursor this API returned"})
    part = {k: int(v) for k, v in match.groupdict().items()}
    at = datetime(part["y"], part["mo"], 1, tzinfo=UTC) + timedelta(
        days=part["d"] - 1, hours=part["h"], minutes=part["mi"], seconds=part["s"], microseconds=part["us"]
    )
    return at, part["seq"]


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
