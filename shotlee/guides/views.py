from __future__ import annotations

from typing import Any

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


SAFETY_SECTIONS = (
    ("contraindications", "Who must not use it (contraindications)"),
    ("warnings", "Warnings and precautions"),
    ("pregnancy_lactation", "Pregnancy and breastfeeding"),
    ("interactions", "Interactions"),
)


@login_not_required
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = get_object_or_404(Guide, slug=slug)
    data = guide.data
    rendered = guide.rendered
    numbers = rendered["numbers"]
    sources = {s["key"]: s for s in data["sources"]}
    regimens = [_regimen(r, numbers, sources, rendered["regimens"][r["key"]]) for r in data["regimens"]]
    safety = data["safety"]

    def cited(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "n": numbers[item["source"]]} for item in items]

    context = {
        "guide": guide,
        "data": data,
        "html": rendered,
        "regimens": regimens,
        "sources": [{**s, "n": numbers[s["key"]]} for s in data["sources"]],
        "boxed": None if safety["boxed_warning"] == "none" else cited(safety["boxed_warning"]),
        "safety_sections": [
            {"key": key, "title": title, "items": cited(safety[key])} for key, title in SAFETY_SECTIONS
        ],
        "monitoring": cited(safety["monitoring"]),
    }
    return render(request, "guides/guide_detail.html", context)


def _regimen(
    r: dict[str, Any], numbers: dict[str, int], sources: dict[str, dict[str, Any]], html: dict[str, str]
) -> dict[str, Any]:
    """A regimen as a person reads it: durations in days or weeks, never field names or bare hours."""
    pk = r.get("pk")
    missed = r.get("missed_dose")
    limits = []
    if r["min_interval_hours"]:
        limits.append(f"at least {duration(r['min_interval_hours'])} between doses")
    if r["max_single_dose"]:
        limits.append(f"at most {r['max_single_dose']} {r['unit']} per dose")
    if r["window"]:
        limits.append(f"at most {r['window']['max']} {r['unit']} in {duration(r['window']['hours'], day_word=True)}")
    course = r["course"]
    return {
        **r,
        "cited": [{"n": numbers[k], **sources[k]} for k in r["sources"]],
        "schedule_text": Schedule.from_dict(r["schedule"]).describe(),
        "limits_text": limits,
        "optional_steps": any(step.get("optional") for step in r["ladder"]),
        "sessions_text": ", ".join(str(w) for w in course["offsets_weeks"])
        if course and course.get("offsets_weeks")
        else "",
        "pk_view": None
        if pk is None
        else {
            "half_life": duration(pk["half_life_hours"]),
            "tmax": duration(pk["tmax_hours"]) if "tmax_hours" in pk else "",
            "bioavailability": f"{pk['bioavailability'] * 100:g} %" if "bioavailability" in pk else "",
            "n": numbers[pk["source"]],
        },
        "missed_view": None
        if missed is None
        else {
            "late_by": duration(missed["max_gap_hours"]) if missed["max_gap_hours"] else "",
            "n": numbers[missed["source"]],
        },
        "html": html,
    }


def duration(hours: float, *, day_word: bool = False) -> str:
    """Hours as a person says them: 168 -> "1 week", 48 -> "2 days", 24 -> "1 day" ("a day" with day_word),
    840 -> "5 weeks", 4.2 -> "4.2 hours", 108 -> "4.5 days"."""
    if day_word and hours == 24:
        return "a day"
    if hours < 48:
        return f"{hours:g} hour{'s' if hours != 1 else ''}" if hours != 24 else "1 day"
    if hours % 168 == 0:
        weeks = hours / 168
        return f"{weeks:g} week{'s' if weeks != 1 else ''}"
    days = hours / 24
    return f"{days:.3g} days"
