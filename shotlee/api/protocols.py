from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router
from pydantic import ConfigDict

from shotlee.accounts.http import ApiCall
from shotlee.api.common import Input, Number, idempotency, respond
from shotlee.guides.models import Guide
from shotlee.lib import hashchain
from shotlee.lib.errors import InvalidInput
from shotlee.protocols.models import Protocol
from shotlee.protocols.services import (
    change_protocol,
    create_protocol,
    protocol_body,
    settings_from_guide,
)
from shotlee.protocols.settings_input import clean_settings
from shotlee.protocols.status import protocol_status

router = Router(tags=["protocols"])


class ProtocolIn(Input):
    """Either the fields by hand, or `guide` + `regimen` (any other field given overrides the regimen's)."""

    model_config = ConfigDict(extra="forbid")

    guide: str | None = Field(None, max_length=80)
    regimen: str | None = Field(None, max_length=80)
    compound: str | None = Field(None, max_length=120)
    name: str | None = Field(None, max_length=120)
    dose: Number | None = None
    unit: str | None = Field(None, max_length=16)
    route: str | None = Field(None, max_length=20)
    interval_hours: Number | None = None
    min_interval_hours: Number | None = None
    max_single_dose: Number | None = None
    window_hours: Number | None = None
    window_max: Number | None = None
    sites: list[str] | None = Field(None, max_length=40)
    starts_on: str | None = Field(None, max_length=10)
    schedule: dict[str, Any] | None = None
    ladder: list[dict[str, Any]] | None = None


class ProtocolPatch(Input):
    model_config = ConfigDict(extra="forbid")

    compound: str | None = Field(None, max_length=120)
    name: str | None = Field(None, max_length=120)
    dose: Number | None = None
    unit: str | None = Field(None, max_length=16)
    route: str | None = Field(None, max_length=20)
    interval_hours: Number | None = None
    min_interval_hours: Number | None = None
    max_single_dose: Number | None = None
    window_hours: Number | None = None
    window_max: Number | None = None
    sites: list[str] | None = Field(None, max_length=40)
    starts_on: str | None = Field(None, max_length=10)
    schedule: dict[str, Any] | None = None
    ladder: list[dict[str, Any]] | None = None
    active: bool | None = None


def _today(request: ApiCall) -> date:
    return timezone.now().astimezone(request.profile.tz).date()


def _clean(request: ApiCall, data: dict[str, Any]) -> dict[str, Any]:
    return clean_settings(data, today=_today(request))


@router.post("", response={201: dict, 409: dict, 422: dict})
def create(request: ApiCall, payload: ProtocolIn) -> HttpResponse:
    data = payload.model_dump(exclude_unset=True)
    if payload.guide is not None:
        guide = Guide.objects.filter(slug=payload.guide).first()
        if guide is None:
            raise InvalidInput({"guide": f"no guide {payload.guide!r}"})
        data = {
            **settings_from_guide(guide, payload.regimen or ""),
            **{k: v for k, v in data.items() if k not in ("guide", "regimen")},
        }
    elif payload.regimen is not None:
        raise InvalidInput({"regimen": "a regimen needs a guide"})
    settings = _clean(request, data)
    return respond(create_protocol(request.auth, settings, **idempotency(request)))


def with_status(request: ApiCall, protocol: Protocol) -> dict[str, Any]:
    status = protocol_status(request.auth, protocol, request.profile.tz)
    return {
        **protocol_body(protocol, status.next_due),
        "missed": status.missed,
        "ladder_step": None if status.step is None else status.step + 1,
        "dose_now": hashchain.format_decimal(status.dose),
    }


@router.get("", response=dict)
def list_protocols(request: ApiCall) -> HttpResponse:
    return JsonResponse({"items": [with_status(request, p) for p in Protocol.objects.for_user(request.auth)]})


@router.get("/{protocol_id}", response={200: dict, 404: dict})
def get_protocol(request: ApiCall, protocol_id: UUID) -> HttpResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.auth), uid=protocol_id)
    return JsonResponse(with_status(request, protocol))


@router.patch("/{protocol_id}", response={200: dict, 404: dict, 422: dict})
def change(request: ApiCall, protocol_id: UUID, payload: ProtocolPatch) -> HttpResponse:
    """Record a new version of the protocol (the old one stays in the ledger); `active: false` stops it."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.auth), uid=protocol_id)
    changes = payload.model_dump(exclude_unset=True)
    active = changes.pop("active", None)
    merged = {**json.loads(protocol.settings), **changes}
    for key, value in list(merged.items()):
        if isinstance(value, Decimal):
            merged[key] = str(value)
    settings = _clean(request, merged)
    stop = (active is False) or (active is None and protocol.stopped)
    return respond(change_protocol(request.auth, protocol, settings, stop=stop, **idempotency(request)))
