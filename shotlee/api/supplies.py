"""Supplies (vials, pens, bottles, tablets), their events, reconstitution; and the public dose calculator."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router
from pydantic import ConfigDict

from shotlee.accounts.http import ApiCall
from shotlee.api.common import Input, Number, idempotency, respond
from shotlee.ledger.records import entry_body
from shotlee.lib.errors import InvalidInput
from shotlee.supplies import services
from shotlee.supplies.forms import build_reason, build_supply
from shotlee.supplies.models import Supply
from shotlee.supplies.views import calculate

router = Router(tags=["supplies"])
calculator_router = Router(tags=["supplies"])


class SupplyIn(Input):
    model_config = ConfigDict(extra="forbid")

    compound: str = Field(..., max_length=120)
    form: Literal["vial", "pen", "bottle", "tablets"]
    drug_unit: Literal["mg", "mcg", "IU"] = "mg"
    strength: Number | None = Field(None, description="per mL (vial, bottle), per pen, or per tablet; from the label")
    quantity: Number | None = Field(None, description="mL, pens or tablets")
    powder: Number | None = Field(None, description="a vial of powder (mg), to reconstitute later")
    dose_steps: str = Field("", max_length=200)
    lot: str = Field("", max_length=60)
    expires_on: date | None = None
    opened_on: date | None = None
    beyond_use_days: int | None = Field(None, description="from the label or pharmacy; the app suggests none")
    note: str = Field("", max_length=2000)
    client_entry_id: UUID | None = None


class ReconstituteIn(Input):
    model_config = ConfigDict(extra="forbid")

    powder: Number | None = Field(None, description="mg of powder; the vial's own when left out")
    diluent: Number = Field(..., description="mL of water (or other diluent) added")


class AdjustIn(Input):
    model_config = ConfigDict(extra="forbid")

    action: Literal["adjust", "discard", "open"]
    amount: Number | None = Field(None, description="adjust: the amount lost, in mL, pens or tablets")
    reason: str = Field("", max_length=500)


class CalculatorQuery(Input):
    amount: str = Field(..., max_length=40, description="the dose")
    unit: Literal["mg", "mL", "syringe_units"] = "mg"
    strength: str | None = Field(None, max_length=40, description="mg/mL")
    powder: str | None = Field(None, max_length=40, description="mg of powder (with diluent, instead of strength)")
    diluent: str | None = Field(None, max_length=40, description="mL of water added")
    syringe: Literal["U-100", "U-40"] = "U-100"


def _mine(request: ApiCall, supply_id: UUID) -> Supply:
    found: Supply = Supply.objects.for_user(request.auth).get(uid=supply_id)
    return found


@router.post("", response={201: dict, 422: dict})
def create_supply(request: ApiCall, payload: SupplyIn) -> HttpResponse:
    """Record a supply: a vial, pen, bottle or tablets (an "added" ledger record)."""
    tz = request.profile.tz
    new = build_supply(payload.model_dump(), today=services.today_in(tz))
    return respond(services.add_supply(request.auth, new, **idempotency(request)))


@router.get("", response={200: dict})
def list_supplies(request: ApiCall) -> HttpResponse:
    """The caller's supplies, with what is left, doses left and the run-out date at the matching protocol."""
    tz = request.profile.tz
    items = list(Supply.objects.for_user(request.auth)[:200])
    rows = services.standings(request.auth, items, tz=tz, today=services.today_in(tz))
    return JsonResponse({"items": [services.supply_json(request.auth, r.supply, r) for r in rows]})


@router.get("/{supply_id}", response={200: dict, 404: dict})
def get_supply(request: ApiCall, supply_id: UUID) -> HttpResponse:
    tz = request.profile.tz
    item = _mine(request, supply_id)
    (standing,) = services.standings(request.auth, [item], tz=tz, today=services.today_in(tz))
    return JsonResponse(services.supply_json(request.auth, item, standing))


@router.get("/{supply_id}/events", response={200: dict, 404: dict})
def supply_events(request: ApiCall, supply_id: UUID) -> HttpResponse:
    """The supply's ledger records (added, opened, reconstituted, adjusted, discarded), oldest first."""
    item = _mine(request, supply_id)
    return JsonResponse({"items": [entry_body(e) for e in services.events(request.auth, item)]})


@router.post("/{supply_id}/reconstitute", response={201: dict, 404: dict, 422: dict})
def reconstitute_supply(request: ApiCall, supply_id: UUID, payload: ReconstituteIn) -> HttpResponse:
    """Powder + diluent: the concentration, stored on the vial (with the worked calculation in its record)."""
    item = _mine(request, supply_id)
    on = services.today_in(request.profile.tz)
    values = payload.model_dump()
    return respond(services.reconstitute(request.auth, item.uid, values, on=on, **idempotency(request)))


@router.post("/{supply_id}/events", response={201: dict, 404: dict, 422: dict})
def create_supply_event(request: ApiCall, supply_id: UUID, payload: AdjustIn) -> HttpResponse:
    """Open it, record a loss (adjust, with a reason), or discard it."""
    item = _mine(request, supply_id)
    on = services.today_in(request.profile.tz)
    if payload.action == "open":
        return respond(services.open_supply(request.auth, item.uid, on=on, **idempotency(request)))
    if payload.action == "discard":
        reason = build_reason({"reason": payload.reason})
        return respond(services.discard_supply(request.auth, item.uid, reason, on=on, **idempotency(request)))
    values = {"amount": payload.amount, "reason": payload.reason}
    return respond(services.adjust_supply(request.auth, item.uid, values, **idempotency(request)))


@calculator_router.get("", response={200: dict, 422: dict}, auth=None)
def calculator(request: HttpRequest, query: Query[CalculatorQuery]) -> HttpResponse:
    """mg <-> mL <-> insulin-syringe units for a concentration (or powder + diluent), with the arithmetic. Public."""
    result = calculate(query.model_dump())
    if "errors" in result:
        raise InvalidInput(result["errors"])
    body = {
        "concentration": result["concentration"],
        "mg": f"{result['mg']:f}",
        "mL": f"{result['ml']:f}",
        "syringe_units": f"{result['units']:f}",
        "syringe": result["syringe"],
        "syringe_size_ml": f"{result['syringe_ml']:f}",
        "exact": result["exact"],
        "steps": result["steps"],
    }
    return JsonResponse(body)
