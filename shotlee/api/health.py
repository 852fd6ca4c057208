"""Side effects, metrics and custom metric types: ledger records, like doses."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpResponse, JsonResponse
from ninja import Field, Query, Router
from pydantic import ConfigDict

from shotlee.accounts.http import ApiCall
from shotlee.api.common import FilterTime, Input, Number, Time, idempotency, respond
from shotlee.ledger.models import Entry
from shotlee.ledger.records import entry_body
from shotlee.lib import metrics as lib
from shotlee.metrics import forms as metric_forms
from shotlee.metrics import services as metrics
from shotlee.metrics.models import MetricType
from shotlee.protocols.models import Protocol
from shotlee.symptoms import forms as symptom_forms
from shotlee.symptoms import services as symptoms
from shotlee.symptoms.services import days_since_last_dose

side_effects_router = Router(tags=["side effects"])
metrics_router = Router(tags=["metrics"])
types_router = Router(tags=["metrics"])

MAX_PAGE = 200


class SideEffectIn(Input):
    model_config = ConfigDict(extra="forbid")

    symptom: str = Field(..., max_length=80)
    severity: int
    started_at: Time | None = None
    ended_at: Time | None = None
    protocol: UUID | None = None
    dose: UUID | None = None
    site: str = Field("", max_length=60)
    note: str = Field("", max_length=2000)
    client_entry_id: UUID | None = None


class SideEffectFilters(Input):
    protocol: UUID | None = None
    symptom: str = Field("", max_length=80)
    since: FilterTime | None = None
    until: FilterTime | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class MetricIn(Input):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(..., max_length=60)
    value: Number
    value2: Number | None = None
    unit: str | None = Field(None, max_length=20)
    measured_at: Time | None = None
    note: str = Field("", max_length=2000)
    protocol: UUID | None = None
    client_entry_id: UUID | None = None


class MetricFilters(Input):
    type: str = Field("", max_length=60)
    since: FilterTime | None = None
    until: FilterTime | None = None
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class MetricTypeIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=60)
    unit: str = Field(..., max_length=20)
    min: Number | None = None
    max: Number | None = None


def side_effect_body(user: User, entry: Entry) -> dict[str, Any]:
    return {**entry_body(entry), "days_since_last_dose": days_since_last_dose(user, entry)}


@side_effects_router.post("", response={201: dict, 404: dict, 422: dict})
def create_side_effect(request: ApiCall, payload: SideEffectIn) -> HttpResponse:
    """Log a side effect: severity 0 (none) to 10 (worst imaginable); `ended_at` may come later as a correction."""
    effect = symptom_forms.build_side_effect(request.auth, payload.model_dump())
    return respond(symptoms.record_side_effect(request.auth, effect, **idempotency(request)))


@side_effects_router.get("", response={200: dict, 404: dict, 422: dict})
def list_side_effects(request: ApiCall, filters: Query[SideEffectFilters]) -> HttpResponse:
    protocol = None
    if filters.protocol:
        protocol = Protocol.objects.for_user(request.auth).get(uid=filters.protocol)
    rows = symptoms.side_effects(
        request.auth, protocol=protocol, symptom=filters.symptom, since=filters.since, until=filters.until
    )
    return JsonResponse({"items": [side_effect_body(request.auth, e) for e in rows[: filters.limit]]})


@metrics_router.post("", response={201: dict, 404: dict, 422: dict})
def create_metric(request: ApiCall, payload: MetricIn) -> HttpResponse:
    """Record a reading in any unit of its type; stored canonically. Unusual values come back with `warnings`."""
    reading = metric_forms.build_reading(request.auth, payload.model_dump())
    return respond(metrics.record_metric(request.auth, reading, **idempotency(request)))


@metrics_router.get("", response={200: dict, 422: dict})
def list_metrics(request: ApiCall, filters: Query[MetricFilters]) -> HttpResponse:
    rows = metrics.readings(request.auth, key=filters.type, since=filters.since, until=filters.until)
    return JsonResponse({"items": [entry_body(e) for e in rows[: filters.limit]]})


def type_body(spec: lib.MetricSpec | MetricType) -> dict[str, Any]:
    if isinstance(spec, lib.MetricSpec):
        return {
            "key": spec.key,
            "name": spec.name,
            "unit": spec.unit,
            "units": spec.all_units(),
            "range": [str(spec.hard[0]), str(spec.hard[1])],
            "typical": [str(spec.typical[0]), str(spec.typical[1])],
            "lab": spec.lab,
            "custom": False,
        }
    return {
        "key": spec.key,
        "id": str(spec.uid),
        "name": spec.name,
        "unit": spec.unit,
        "units": [spec.unit],
        "range": [spec.min_value or None, spec.max_value or None],
        "lab": False,
        "custom": True,
    }


@types_router.get("", response=dict)
def list_metric_types(request: ApiCall) -> HttpResponse:
    built_in = [type_body(spec) for spec in lib.BUILT_IN.values()]
    custom = [type_body(t) for t in MetricType.objects.for_user(request.auth)]
    return JsonResponse({"items": built_in + custom})


@types_router.post("", response={201: dict, 422: dict})
def create_metric_type(request: ApiCall, payload: MetricTypeIn) -> HttpResponse:
    created = metrics.create_metric_type(request.auth, payload.name, payload.unit, payload.min, payload.max)
    return JsonResponse(type_body(created), status=201)


@types_router.get("/{type_id}", response={200: dict, 404: dict})
def get_metric_type(request: ApiCall, type_id: UUID) -> HttpResponse:
    return JsonResponse(type_body(MetricType.objects.for_user(request.auth).get(uid=type_id)))
