from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router
from ninja.params.functions import Path

from shotlee.api.common import Input
from shotlee.guides.models import Guide

router = Router(tags=["guides"], auth=None)


class GuideFilters(Input):
    q: str = Field("", max_length=100)
    drug_class: str = Field("", max_length=60)
    route: str = Field("", max_length=20)
    goal: str = Field("", max_length=40)


def summary(guide: Guide) -> dict[str, Any]:
    return {
        "slug": guide.slug,
        "title": guide.title,
        "summary": guide.summary,
        "status": guide.status,
        "drug_class": guide.drug_class,
        "route": guide.route,
        "goals": guide.goals.split(","),
        "compounds": guide.compounds.split(","),
        "version": guide.content_hash,
    }


@router.get("", response=dict)
def list_guides(request: HttpRequest, filters: Query[GuideFilters]) -> JsonResponse:
    """Public: every guide, searchable and filterable by class, route and goal."""
    guides = Guide.objects.search(filters.q.strip())
    if filters.drug_class:
        guides = guides.filter(drug_class=filters.drug_class)
    if filters.route:
        guides = guides.filter(route=filters.route)
    if filters.goal:
        guides = guides.filter(goals__contains=filters.goal)
    return JsonResponse({"items": [summary(g) for g in guides]})


@router.get("/{slug}", response={200: dict, 404: dict})
def get_guide(request: HttpRequest, slug: Annotated[str, Path(pattern=r"^[-a-z0-9]+$", max_length=80)]) -> JsonResponse:
    """Public: the whole guide: its safety block (boxed warning first), and regimens with dose, unit, schedule,
    limits, titration ladder (optional steps flagged), course session weeks, sites and site mode, missed-dose
    guidance, pharmacokinetics (or why there are none) and sources."""
    guide = get_object_or_404(Guide, slug=slug)
    data = guide.data
    sources = {s["key"]: s for s in data["sources"]}
    regimens = []
    for regimen in data["regimens"]:
        window = regimen.get("window")
        regimens.append(
            {
                "key": regimen["key"],
                "label": regimen["label"],
                "dose": regimen["dose"],
                "unit": regimen["unit"],
                "route": regimen["route"],
                "interval": regimen["schedule"],
                "ladder": [{**step, "optional": bool(step.get("optional"))} for step in regimen["ladder"]],
                "course": regimen["course"],
                "limits": {
                    "min_interval_hours": regimen["min_interval_hours"],
                    "max_single_dose": regimen["max_single_dose"],
                    "window_hours": window["hours"] if window else None,
                    "window_max": window["max"] if window else None,
                },
                "sources": [sources[k] for k in regimen["sources"]],
                "notes": regimen["notes"],
                "sites": regimen["sites"],
                "sites_mode": regimen.get("sites_mode", "rotate"),
                "pk": regimen["pk"],
                "pk_note": regimen.get("pk_note"),
                "missed_dose": regimen.get("missed_dose"),
            }
        )
    # Sites now belong to each regimen; the guide-level list is their union, in order, for older clients.
    sites = list(dict.fromkeys(site for r in data["regimens"] for site in r["sites"]))
    body = {
        **summary(guide),
        **{k: v for k, v in data.items() if k != "regimens"},
        "sites": sites,
        "regimens": regimens,
    }
    return JsonResponse(body)
