"""Strict validation of guide files (content/README.md describes the schema).

A malformed file fails loudly, naming the file and the field: a guide feeds
protocol limits, so a typo must never load silently.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from shotlee.lib.schedule import UNITS, WEEKDAYS

STATUSES = ("approved", "off-label", "research")
GOALS = ("hair loss", "weight loss", "type 2 diabetes", "testosterone replacement")
CLASSES = ("5-alpha-reductase inhibitor", "minoxidil", "incretin agonist", "androgen")
ROUTES = ("intradermal", "subcutaneous", "intramuscular", "oral", "topical")
DOSE_UNITS = ("mg", "mcg", "IU", "mL", "units")
SOURCE_KINDS = ("label", "study", "review", "case-report", "monograph", "secondary")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CITATION = re.compile(r"\[S:([a-z0-9-]+)\]")

GUIDE_KEYS = {
    "slug", "title", "summary", "status", "goals", "compounds", "drug_class", "route", "device", "deep_dive",
    "mechanism", "standardized", "standardization_note", "regimens", "sources", "faq", "side_effects",
    "side_effects_note", "metrics", "sites", "pk", "unconfirmed",
}  # fmt: skip
OPTIONAL_KEYS = {"standardization_note", "pk", "unconfirmed", "side_effects_note"}
REGIMEN_KEYS = {
    "key", "label", "dose", "unit", "route", "schedule", "min_interval_hours", "max_single_dose", "window",
    "ladder", "course", "sources", "notes",
}  # fmt: skip
SOURCE_KEYS = {"key", "citation", "url", "doi", "kind"}


class GuideFileError(ValueError):
    def __init__(self, filename: str, field: str, message: str):
        super().__init__(f"{filename}: {field}: {message}")
        self.filename, self.field, self.message = filename, field, message


class _Check:
    def __init__(self, filename: str):
        self.filename = filename

    def fail(self, field: str, message: str) -> None:
        raise GuideFileError(self.filename, field, message)

    def keys(self, data: Any, field: str, allowed: set[str], optional: set[str] = frozenset()) -> None:
        if not isinstance(data, dict):
            self.fail(field or "(top level)", "must be a mapping")
        unknown = set(data) - allowed
        if unknown:
            self.fail(f"{field}.{sorted(unknown)[0]}" if field else sorted(unknown)[0], "unknown key")
        missing = allowed - optional - set(data)
        if missing:
            self.fail(f"{field}.{sorted(missing)[0]}" if field else sorted(missing)[0], "is required")

    def text(self, value: Any, field: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.fail(field, "must be a non-empty string")
        return value

    def choice(self, value: Any, field: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(field, f"must be one of {', '.join(choices)} (got {value!r})")
        return value

    def strings(self, value: Any, field: str, choices: tuple[str, ...] | None = None) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(field, "must be a list of strings")
        for item in value:
            if choices is not None:
                self.choice(item, field, choices)
        return value

    def decimal(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            self.fail(field, 'must be a decimal written as a string, like "0.25"')
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.fail(field, f"{value!r} is not a decimal")
        if not number.is_finite() or number <= 0:
            self.fail(field, "must be a positive decimal")
        return value

    def number(self, value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.fail(field, "must be a positive number")


def validate(data: Any, filename: str) -> dict[str, Any]:
    """Return the guide unchanged if it is valid; raise GuideFileError naming the first problem."""
    c = _Check(filename)
    c.keys(data, "", GUIDE_KEYS, OPTIONAL_KEYS)
    slug = c.text(data["slug"], "slug")
    if not SLUG.match(slug):
        c.fail("slug", "must be lowercase words joined by hyphens")
    if filename.rsplit("/", 1)[-1] not in (f"{slug}.yaml", f"{slug}.yml", "<memory>"):
        c.fail("slug", f"must match the file name ({slug}.yaml)")
    for field in ("title", "summary", "device", "deep_dive", "mechanism"):
        c.text(data[field], field)
    c.choice(data["status"], "status", STATUSES)
    c.strings(data["goals"], "goals", GOALS)
    c.strings(data["compounds"], "compounds")
    if not data["compounds"]:
        c.fail("compounds", "must name at least one compound")
    c.choice(data["drug_class"], "drug_class", CLASSES)
    c.choice(data["route"], "route", ROUTES)
    if not isinstance(data["standardized"], bool):
        c.fail("standardized", "must be true or false")
    if not data["standardized"]:
        c.text(data.get("standardization_note"), "standardization_note")
    for field in ("side_effects", "metrics", "sites"):
        c.strings(data[field], field)
    c.strings(data.get("unconfirmed", []), "unconfirmed")

    if not isinstance(data["sources"], list) or not data["sources"]:
        c.fail("sources", "must list at least one source")
    source_keys: set[str] = set()
    for i, source in enumerate(data["sources"]):
        field = f"sources[{i}]"
        c.keys(source, field, SOURCE_KEYS)
        key = c.text(source["key"], f"{field}.key")
        if key in source_keys:
            c.fail(f"{field}.key", f"duplicate source key {key!r}")
        source_keys.add(key)
        c.text(source["citation"], f"{field}.citation")
        url = c.text(source["url"], f"{field}.url")
        if not url.startswith(("https://", "http://")):
            c.fail(f"{field}.url", "must be a web address")
        if source["doi"] is not None:
            c.text(source["doi"], f"{field}.doi")
        c.choice(source["kind"], f"{field}.kind", SOURCE_KINDS)

    if not isinstance(data["regimens"], list) or not data["regimens"]:
        c.fail("regimens", "must list at least one regimen")
    regimen_keys: set[str] = set()
    for i, regimen in enumerate(data["regimens"]):
        _regimen(c, regimen, f"regimens[{i}]", source_keys, regimen_keys)

    if not isinstance(data["faq"], list):
        c.fail("faq", "must be a list")
    for i, item in enumerate(data["faq"]):
        c.keys(item, f"faq[{i}]", {"q", "a"})
        c.text(item["q"], f"faq[{i}].q")
        c.text(item["a"], f"faq[{i}].a")

    if data.get("pk") is not None:
        pk = data["pk"]
        c.keys(pk, "pk", {"half_life_hours", "basis", "source", "note"}, {"note"})
        c.number(pk["half_life_hours"], "pk.half_life_hours")
        c.text(pk["basis"], "pk.basis")
        if pk["source"] not in source_keys:
            c.fail("pk.source", f"unknown source {pk['source']!r}")

    texts = [data[f] for f in ("device", "deep_dive", "mechanism", "summary")]
    texts += [data.get("standardization_note") or "", data.get("side_effects_note") or ""]
    texts += [item[k] for item in data["faq"] for k in ("q", "a")]
    for text in texts:
        for key in CITATION.findall(text):
            if key not in source_keys:
                c.fail("sources", f"[S:{key}] is cited but not listed")
    return data


def _regimen(c: _Check, regimen: Any, field: str, source_keys: set[str], seen: set[str]) -> None:
    c.keys(regimen, field, REGIMEN_KEYS)
    key = c.text(regimen["key"], f"{field}.key")
    if not SLUG.match(key) or key in seen:
        c.fail(f"{field}.key", "must be unique lowercase words joined by hyphens")
    seen.add(key)
    c.text(regimen["label"], f"{field}.label")
    c.decimal(regimen["dose"], f"{field}.dose")
    c.choice(regimen["unit"], f"{field}.unit", DOSE_UNITS)
    c.choice(regimen["route"], f"{field}.route", ROUTES)
    schedule = regimen["schedule"]
    if not isinstance(schedule, dict):
        c.fail(f"{field}.schedule", "must be a mapping")
    if "weekdays" in schedule:
        c.keys(schedule, f"{field}.schedule", {"weekdays"})
        c.strings(schedule["weekdays"], f"{field}.schedule.weekdays", WEEKDAYS)
    else:
        c.keys(schedule, f"{field}.schedule", {"every", "unit"})
        if isinstance(schedule["every"], bool) or not isinstance(schedule["every"], int) or schedule["every"] < 1:
            c.fail(f"{field}.schedule.every", "must be a whole number of at least 1")
        c.choice(schedule["unit"], f"{field}.schedule.unit", UNITS)
    if regimen["min_interval_hours"] is not None:
        c.number(regimen["min_interval_hours"], f"{field}.min_interval_hours")
    if regimen["max_single_dose"] is not None:
        c.decimal(regimen["max_single_dose"], f"{field}.max_single_dose")
    if regimen["window"] is not None:
        c.keys(regimen["window"], f"{field}.window", {"hours", "max"})
        c.number(regimen["window"]["hours"], f"{field}.window.hours")
        c.decimal(regimen["window"]["max"], f"{field}.window.max")
    if not isinstance(regimen["ladder"], list):
        c.fail(f"{field}.ladder", "must be a list")
    for j, step in enumerate(regimen["ladder"]):
        last = j == len(regimen["ladder"]) - 1
        c.keys(step, f"{field}.ladder[{j}]", {"dose", "weeks"}, {"weeks"} if last else set())
        c.decimal(step["dose"], f"{field}.ladder[{j}].dose")
        if "weeks" in step and (
            isinstance(step["weeks"], bool) or not isinstance(step["weeks"], int) or step["weeks"] < 1
        ):
            c.fail(f"{field}.ladder[{j}].weeks", "must be a whole number of weeks")
    if regimen["course"] is not None:
        c.keys(regimen["course"], f"{field}.course", {"sessions", "note"}, {"note"})
        c.number(regimen["course"]["sessions"], f"{field}.course.sessions")
    sources = c.strings(regimen["sources"], f"{field}.sources")
    if not sources:
        c.fail(f"{field}.sources", "a regimen needs at least one source")
    for key in sources:
        if key not in source_keys:
            c.fail(f"{field}.sources", f"unknown source {key!r}")
    c.text(regimen["notes"], f"{field}.notes", empty=True)
