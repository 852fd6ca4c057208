from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from shotlee.guides import schema
from shotlee.guides.models import Guide
from shotlee.lib.schedule import Schedule


@login_not_required
def guide_index(request: HttpRequest) -> HttpResponse:
    """Public: search and filter by goal, drug class and route."""
    q = request.GET.get("q", "").strip()[:100]
    goal = request.GET.get("goal", "")
    drug_class = request.GET.get("class", "")
    route = request.GET.get("route", "")
    guides = Guide.objects.search(q)
    if goal in schema.GOALS:
        guides = guides.filter(goals__contains=goal)
    if drug_class in schema.CLASSES:
        guides = guides.filter(drug_class=drug_class)
    if route in schema.ROUTES:
        guides = guides.filter(route=route)
    context = {
        "guides": guides,
        "q": q,
        "goal": goal,
        "drug_class": drug_class,
        "route": route,
        "goals": schema.GOALS,
        "classes": schema.CLASSES,
        "routes": schema.ROUTES,
        "filtered": bool(q or goal or drug_class or route),
    }
    return render(request, "guides/guide_index.html", context)


@login_not_required
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = get_object_or_404(Guide, slug=slug)
    data = guide.data
    rendered = guide.rendered
    numbers = rendered["numbers"]
    sources = {s["key"]: s for s in data["sources"]}
    regimens = [
        {
            **r,
            "cited": [{"n": numbers[k], **sources[k]} for k in r["sources"]],
            "schedule_text": Schedule.from_dict(r["schedule"]).describe(),
        }
        for r in data["regimens"]
    ]
    context = {"guide": guide, "data": data, "html": rendered, "regimens": regimens, "sources": data["sources"]}
    if data.get("pk"):
        context["half_life"] = _duration(data["pk"]["half_life_hours"])
        context["pk_source_n"] = numbers[data["pk"]["source"]]
    return render(request, "guides/guide_detail.html", context)


def _duration(hours: float) -> str:
    """840 -> "5 weeks (840 h)"; 6 -> "6 hours"."""
    if hours < 48:
        return f"{hours:g} hours"
    if hours < 24 * 14:
        return f"{hours / 24:.3g} days ({hours:g} h)"
    return f"{hours / 168:.3g} weeks ({hours:g} h)"
