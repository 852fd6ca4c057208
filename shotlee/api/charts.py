"""Series for the charts (DESIGN.md section 6, `GET /api/v1/charts/...`): downsampled to a pixel budget, times in
seconds since 1970 (UTC), another user's protocol a 404."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from shotlee.accounts.http import ApiCall
from shotlee.api.common import Input
from shotlee.charts import data, metric_series
from shotlee.ledger import memo
from shotlee.lib import metrics as lib
from shotlee.metrics.models import MetricType
from shotlee.protocols.models import Protocol

router = Router(tags=["charts"])

Range = Literal["7d", "30d", "90d", "1y", "all"]


class RangeQuery(Input):
    range: Range = "90d"


class MetricQuery(Input):
    type: str = Field(..., max_length=60)
    range: Range = "90d"


class MetricPoints(Schema):
    t: list[float] = Field(..., description="The readings' times, seconds since 1970 (UTC), at most 2,000")
    v: list[float] = Field(..., description="The value, or the first number of a pair (systolic pressure)")
    v2: list[float | None] = Field(
        ..., description="The second number of a pair (diastolic pressure) at the same times; empty for one number"
    )


class MetricLine(Schema):
    """A metric drawn beside the protocol on its own axis, in the person's preferred unit."""

    type: Literal["weight", "blood_pressure"]
    name: str = Field(..., description="Its name as the pages say it")
    unit: str = Field(..., description="The person's preferred unit (Settings), every value is in it")
    count: int = Field(..., description="Readings in the range, before the pixel budget")
    latest: str = Field(..., description="The newest reading as shown (120/80 for a pair)")
    low: str = Field(..., description="The lowest value in the range (of the first number of a pair)")
    high: str = Field(..., description="The highest value in the range (of the first number of a pair)")
    low2: str = Field(..., description="The lowest second number of a pair; empty for one number")
    high2: str = Field(..., description="The highest second number of a pair; empty for one number")
    points: MetricPoints


class ChartProtocol(Schema):
    id: UUID
    name: str
    unit: str = Field(..., description="The unit of its doses and of the estimate")
    route: str
    steps: int = Field(..., description="Steps of its titration ladder (0 without one)")


class ChartRange(Schema):
    key: Range
    start: float = Field(..., description="Where the range starts, seconds since 1970 (UTC)")
    end: float
    now: float


class ChartDose(Schema):
    seq: int = Field(..., description="The record's number in the person's history")
    t: float = Field(..., description="When it was taken, seconds since 1970 (UTC)")
    amount: float | None = Field(..., description="In the protocol's unit (None when it cannot be converted)")
    entered: str = Field(..., description="The amount as recorded, in `unit`")
    unit: str
    status: Literal["effective", "voided", "corrected"] = Field(
        ..., description="In effect, voided, or replaced by a correction (the correction is its own dose)"
    )
    correction: bool = Field(..., description="This record corrects an earlier one")
    step: int | None = Field(..., description="The titration step (1-based) in force when it was taken")
    site: str
    sites: list[str]


class Series(Schema):
    t: list[float] = Field(..., description="Seconds since 1970 (UTC), at most 2,000")
    v: list[float]


class ChartSource(Schema):
    citation: str
    url: str


class ChartLevel(Schema):
    """The estimated amount in the body: an estimate from the guide's published parameters, never a blood level."""

    available: bool = Field(..., description="False when the route has no published parameters (`why_not` says why)")
    why_not: str
    unit: str
    past: Series | None = None
    projection: Series | None = Field(None, description="Doses on schedule from the next planned time: dashed")
    planned: list[float] = Field([], description="The planned times the projection assumes")
    half_life_hours: float | None = None
    personal_half_life: bool = False
    absorption: bool | None = Field(None, description="Whether a published absorption rate shapes each dose's rise")
    basis: str = ""
    note: str = ""
    source: ChartSource | None = None


class ChartLab(Schema):
    t: float
    type: str
    name: str
    value: str = Field(..., description="In the person's preferred unit")
    unit: str
    canonical: str
    canonical_unit: str


class ChartSideEffect(Schema):
    t: float
    severity: int | None = Field(..., description="0 to 10")
    symptom: str
    site: str


class ChartAdherence(Schema):
    on_time_30: float | None = Field(..., description="Share of planned doses taken on time in 30 days (0 to 1)")
    on_time_90: float | None


class ProtocolChart(Schema):
    """A protocol's timeline for a range."""

    protocol: ChartProtocol
    range: ChartRange
    doses: list[ChartDose] = Field(
        ..., description="Its dose records in the range, oldest first; at most about 2,000 (see `doses_total`)"
    )
    doses_total: int = Field(..., description="Dose records in the range before the pixel budget")
    level: ChartLevel
    labs: list[ChartLab]
    side_effects: list[ChartSideEffect]
    adherence: ChartAdherence | None = Field(..., description="None for a course or a protocol without a schedule")
    metrics: list[MetricLine] = Field(
        ...,
        description="The person's weight and blood pressure over the range (only those with a reading in it), "
        "each for its own axis",
    )
    time_zone: str = Field(..., description="The person's time zone (IANA name), in which the pages show times")


class MetricChart(Schema):
    type: str
    name: str
    unit: str
    points: MetricPoints
    doses: list[float] = Field(..., description="Times of the doses in the range (the newest 2,000), as marks")


class Timeline(Schema):
    items: list[ProtocolChart]


@router.get("/protocols/{protocol_id}", response={200: ProtocolChart, 404: dict, 422: dict})
def protocol_chart(request: ApiCall, protocol_id: UUID, query: Query[RangeQuery]) -> HttpResponse:
    """One protocol's timeline for a range: every dose (`status` effective, voided or corrected; its titration
    `step`), the estimated level (`level.past` solid, `level.projection` dashed: an estimate, with the source of its
    parameters, or `why_not` when the route has none), lab readings, side-effect severities, adherence, and the
    person's weight and blood pressure over the range (`metrics`, in their preferred units)."""
    protocol = get_object_or_404(Protocol.objects.for_user(request.auth), uid=protocol_id)
    prefs, head, now, tz = (
        request.profile.preferred_units,
        memo.head_of(request.auth),
        timezone.now(),
        request.profile.tz,
    )

    def encoded() -> bytes:
        return _json(data.timeline(request.auth, protocol, query.range, tz, now, prefs, head, with_metrics=True)[1])

    key = ("protocol.json", protocol.pk, protocol.version_seq, query.range, str(tz), tuple(sorted(prefs.items())))
    return _response(memo.remembered(request.auth, head, now, key, encoded))


def _json(body: Any) -> bytes:
    return JsonResponse(body).content


def _response(content: bytes) -> HttpResponse:
    """A remembered body, encoded once (the series are tens of kilobytes: bench rows charts.protocol, charts.metric)."""
    return HttpResponse(content, content_type="application/json")


@router.get("/timeline", response={200: Timeline, 422: dict})
def all_protocols(request: ApiCall, query: Query[RangeQuery]) -> HttpResponse:
    """Every active protocol's timeline for a range, on one time axis."""
    now, tz, prefs = timezone.now(), request.profile.tz, request.profile.preferred_units
    head = memo.head_of(request.auth)
    items = [
        data.timeline(request.auth, p, query.range, tz, now, prefs, head, with_metrics=True)[1]
        for p in Protocol.objects.for_user(request.auth).active()
    ]
    return JsonResponse({"items": items})


@router.get("/metrics", response={200: MetricChart, 404: dict, 422: dict})
def metric_chart(request: ApiCall, query: Query[MetricQuery]) -> HttpResponse:
    """One metric in the person's preferred unit (`v2`: the second number of a pair, e.g. diastolic pressure), with
    the times of the doses in the range as markers. A type that is not built in nor one of yours is a 404."""
    key = query.type
    known = key in lib.BUILT_IN
    if not known and key.startswith("custom:"):
        try:
            known = MetricType.objects.for_user(request.auth).filter(uid=UUID(key[7:])).exists()
        except ValueError:
            known = False
    if not known:  # not a metric type, or another user's own type: the same answer
        raise Http404
    prefs, now = request.profile.preferred_units, timezone.now()
    body = memo.remembered(
        request.auth,
        memo.head_of(request.auth),
        now,
        ("metric.json", key, query.range, tuple(sorted(prefs.items()))),
        lambda: _json(metric_series.metric_series(request.auth, key, query.range, prefs, now)),
    )
    return _response(body)
