from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from shotlee.accounts.models import Profile
from shotlee.api.common import Number, idempotency, respond
from shotlee.doses.services import next_due
from shotlee.protocols.models import Protocol
from shotlee.protocols.services import change_protocol, clean_settings, create_protocol, protocol_body

router = Router(tags=["protocols"])



class ProtocolIn(Schema):
    model_config = ConfigDict(extra="forbid")

    compound: str = Field(..., max_length=120)
    name: str | None = Field(None, max_length=120)
    dose: Number
    unit: str = Field(..., max_length=16)
    route: str = Field(..., max_length=20)
    interval_hours: Number | None = None
    min_interval_hours: Number | None = None
    max_single_dose: Number | None = None
    window_hours: Number | None = None
    window_max: Number | None = None
    sites: list[str] = Field(default_factory=list, max_length=40)
    starts_on: str | None = Field(None, max_length=10)


class ProtocolPatch(Schema):
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
    active: bool | None = None


def _today(request: HttpRequest) -> Any:
    profile = Profile.objects.filter(user=request.auth).first()
    return timezone.now().astimezone(profile.tz if profile else None).date()


def _clean(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    return clean_settings(data, today=_today(request))


@router.post("", response={201: dict, 409: dict, 422: dict})
def create(request: HttpRequest, payload: ProtocolIn) -> JsonResponse:
    settings = _clean(request, payload.model_dump())
    return respond(create_protocol(request.auth, settings, **idempotency(request)))


@router.get("", response=dict)
def list_protocols(request: HttpRequest) -> JsonResponse:
    items = [protocol_body(p, next_due(request.auth, p)) for p in Protocol.objects.for_user(request.auth)]
    return JsonResponse({"items": items})


@router.get("/{protocol_id}", response={200: dict, 404: dict})
def get_protocol(request: HttpRequest, protocol_id: UUID) -> JsonResponse:
    protocol = get_object_or_404(Protocol.objects.for_user(request.auth), uid=protocol_id)
    return JsonResponse(protocol_body(protocol, next_due(request.auth, protocol)))


@router.patch("/{protocol_id}", response={200: dict, 404: dict, 422: dict})
def change(request: HttpRequest, protocol_id: UUID, payload: ProtocolPatch) -> JsonResponse:
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
