"""Strict validation of guide files (content/README.md describes the schema).

A malformed file fails loudly, naming the file and the field: a guide feeds
protocol limits, so a typo must never load silently.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from shotlee.guides.checks import Check
from shotlee.lib.schedule import UNITS, WEEKDAYS

STATUSES = ("approved", "off-label", "research")
GOALS = ("hair loss", "weight loss", "type 2 diabetes", "testosterone replacement")
CLASSES = ("5-alpha-reductase inhibitor", "minoxidil", "incretin agonist", "androgen")
ROUTES = ("intradermal", "subcutaneous", "intramuscular", "oral", "topical")
DOSE_UNITS = ("mg", "mcg", "IU", "mL", "units")
SOURCE_KINDS = ("label", "study", "review", "case-report", "monograph", "secondary")
SITES_MODES = ("rotate", "all")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CITATION = re.compile(r"\[S:([a-z0-9-]+)\]")
LABEL_VERSION = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")  # a label's revision: year-month, or a full date

GUIDE_KEYS = {
    "slug", "title", "summary", "status", "goals", "compounds", "drug_class", "route", "device", "deep_dive",
    "mechanism", "standardized", "standardization_note", "regimens", "sources", "faq", "side_effects",
    "side_effects_note", "metrics", "safety", "unconfirmed",
}  # fmt: skip
OPTIONAL_KEYS = {"standardization_note", "unconfirmed", "side_effects_note"}
REGIMEN_KEYS = {
    "key", "label", "dose", "unit", "route", "schedule", "min_interval_hours", "max_single_dose", "window",
    "ladder", "course", "sources", "notes", "sites", "sites_mode", "pk", "pk_note", "missed_dose",
}  # fmt: skip
REGIMEN_OPTIONAL = {"sites_mode", "pk_note", "missed_dose"}
SOURCE_KEYS = {"key", "citation", "url", "doi", "kind", "reviewed_on", "version"}
SOURCE_OPTIONAL = {"reviewed_on", "version"}
# The safety block: what the label says, in our words, each item with its source.
SAFETY_LISTS = ("contraindications", "warnings", "pregnancy_lactation", "interactions")
SAFETY_KEYS = {"boxed_warning", "monitoring", *SAFETY_LISTS}
PK_KEYS = {"half_life_hours", "tmax_hours", "ka_per_hour", "bioavailability", "route", "basis", "source", "note"}
PK_OPTIONAL = {"tmax_hours", "ka_per_hour", "bioavailability", "note"}


def is_labelled(data: dict[str, Any]) -> bool:
    """An approved guide, or any guide citing a label: it must say what the label's boxed warning is."""
    return data["status"] == "approved" or any(s["kind"] == "label" for s in data["sources"])


def label_version_date(version: str) -> date:
    """Revision "2025-03" -> 2025-03-01: the earliest day a revision of that month could have been read."""
    return date.fromisoformat(version if len(version) == 10 else f"{version}-01")


def validate(data: Any, filename: str, *, today: date | None = None) -> dict[str, Any]:
    """Return the guide unchanged if it is valid; raise GuideFileError naming the first problem."""
    today = today or date.today()
    c = Check(filename)
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
    for field in ("side_effects", "metrics"):
        c.strings(data[field], field)
    c.strings(data.get("unconfirmed", []), "unconfirmed")
    sources = _sources(c, data["sources"], today)
    source_keys = set(sources)

    if not isinstance(data["regimens"], list) or not data["regimens"]:
        c.fail("regimens", "must list at least one regimen")
    regimen_keys: set[str] = set()
    texts: list[str] = []
    for i, regimen in enumerate(data["regimens"]):
        texts += _regimen(c, regimen, f"regimens[{i}]", source_keys, regimen_keys)

    if not isinstance(data["faq"], list):
        c.fail("faq", "must be a list")
    for i, item in enumerate(data["faq"]):
        c.keys(item, f"faq[{i}]", {"q", "a"})
        c.text(item["q"], f"faq[{i}].q")
        c.text(item["a"], f"faq[{i}].a")

    texts += _safety(c, data, sources)

    texts += [data[f] for f in ("device", "deep_dive", "mechanism", "summary")]
    texts += [data.get("standardization_note") or "", data.get("side_effects_note") or ""]
    texts += [item[k] for item in data["faq"] for k in ("q", "a")]
    for text in texts:
        for key in CITATION.findall(text):
            if key not in source_keys:
                c.fail("sources", f"[S:{key}] is cited but not listed")
    return cast(dict[str, Any], data)


def _sources(c: Check, listed: Any, today: date) -> dict[str, dict[str, Any]]:
    """The sources by key; a label's revision (version) cannot be later than the day it was checked."""
    if not isinstance(listed, list) or not listed:
        c.fail("sources", "must list at least one source")
    sources: dict[str, dict[str, Any]] = {}
    for i, source in enumerate(listed):
        field = f"sources[{i}]"
        c.keys(source, field, SOURCE_KEYS, SOURCE_OPTIONAL)
        key = c.text(source["key"], f"{field}.key")
        if key in sources:
            c.fail(f"{field}.key", f"duplicate source key {key!r}")
        sources[key] = source
        c.text(source["citation"], f"{field}.citation")
        url = c.text(source["url"], f"{field}.url")
        if not url.startswith(("https://", "http://")):
            c.fail(f"{field}.url", "must be a web address")
        if source["doi"] is not None:
            c.text(source["doi"], f"{field}.doi")
        c.choice(source["kind"], f"{field}.kind", SOURCE_KINDS)
        reviewed = c.day(source["reviewed_on"], f"{field}.reviewed_on") if "reviewed_on" in source else None
        if reviewed is not None and reviewed > today:
            c.fail(f"{field}.reviewed_on", f"{source['reviewed_on']} is in the future")
        if "version" in source:
            version = source["version"]
            if not isinstance(version, str) or not LABEL_VERSION.match(version):
                c.fail(f"{field}.version", 'must be the label revision as "YYYY-MM" or "YYYY-MM-DD"')
            try:
                revised = label_version_date(version)
            except ValueError:
                c.fail(f"{field}.version", f"{version!r} is not a real date")
            if reviewed is None:
                c.fail(f"{field}.reviewed_on", "is required when a version is given")
            if revised > reviewed:
                c.fail(
                    f"{field}.version",
                    f"label revision {version} is later than reviewed_on {source['reviewed_on']}:"
                    " a version cannot be checked before it exists",
                )
    return sources


def _safety(c: Check, data: dict[str, Any], sources: dict[str, dict[str, Any]]) -> list[str]:
    """The label's safety block; every source it uses must say when it was checked (reviewed_on)."""
    safety = data["safety"]
    c.keys(safety, "safety", SAFETY_KEYS)
    texts: list[str] = []

    def item(value: Any, field: str, keys: set[str]) -> None:
        c.keys(value, field, keys)
        for key in keys - {"source"}:
            texts.append(c.text(value[key], f"{field}.{key}"))
        c.source_key(value["source"], f"{field}.source", set(sources))
        if "reviewed_on" not in sources[value["source"]]:
            c.fail(f"{field}.source", f"source {value['source']!r} is used in safety but has no reviewed_on date")

    def items(value: Any, field: str, keys: set[str]) -> None:
        if not isinstance(value, list):
            c.fail(field, "must be a list")
        for j, entry in enumerate(value):
            item(entry, f"{field}[{j}]", keys)

    boxed = safety["boxed_warning"]
    if boxed != "none":
        if not isinstance(boxed, list):
            c.fail("safety.boxed_warning", 'must be a list of items or the string "none"')
        if not boxed and is_labelled(data):
            c.fail("safety.boxed_warning", 'a labelled guide must list the label\'s boxed warning or say "none"')
        items(boxed, "safety.boxed_warning", {"text", "source"})
    for name in SAFETY_LISTS:
        items(safety[name], f"safety.{name}", {"text", "source"})
    items(safety["monitoring"], "safety.monitoring", {"what", "how_often", "source"})
    return texts


def _regimen(c: Check, regimen: Any, field: str, source_keys: set[str], seen: set[str]) -> list[str]:
    c.keys(regimen, field, REGIMEN_KEYS, REGIMEN_OPTIONAL)
    key = c.text(regimen["key"], f"{field}.key")
    if not SLUG.match(key) or key in seen:
        c.fail(f"{field}.key", "must be unique lowercase words joined by hyphens")
    seen.add(key)
    c.text(regimen["label"], f"{field}.label")
    c.decimal(regimen["dose"], f"{field}.dose")
    c.choice(regimen["unit"], f"{field}.unit", DOSE_UNITS)
    route = c.choice(regimen["route"], f"{field}.route", ROUTES)
    schedule = regimen["schedule"]
    if not isinstance(schedule, dict):
        c.fail(f"{field}.schedule", "must be a mapping")
    if "weekdays" in schedule:
        c.keys(schedule, f"{field}.schedule", {"weekdays"})
        c.strings(schedule["weekdays"], f"{field}.schedule.weekdays", WEEKDAYS)
    else:
        c.keys(schedule, f"{field}.schedule", {"every", "unit"})
        c.whole(schedule["every"], f"{field}.schedule.every", minimum=1)
        c.choice(schedule["unit"], f"{field}.schedule.unit", UNITS)
    if regimen["min_interval_hours"] is not None:
        c.number(regimen["min_interval_hours"], f"{field}.min_interval_hours")
    if regimen["max_single_dose"] is not None:
        c.decimal(regimen["max_single_dose"], f"{field}.max_single_dose")
    if regimen["window"] is not None:
        c.keys(regimen["window"], f"{field}.window", {"hours", "max"})
        c.number(regimen["window"]["hours"], f"{field}.window.hours")
        c.decimal(regimen["window"]["max"], f"{field}.window.max")
    texts = _ladder(c, regimen["ladder"], f"{field}.ladder")
    if regimen["course"] is not None:
        _course(c, regimen["course"], f"{field}.course")
    sources = c.strings(regimen["sources"], f"{field}.sources")
    if not sources:
        c.fail(f"{field}.sources", "a regimen needs at least one source")
    for source in sources:
        c.source_key(source, f"{field}.sources", source_keys)
    c.text(regimen["notes"], f"{field}.notes", empty=True)
    return texts + _regimen_extras(c, regimen, field, route, source_keys)


def _regimen_extras(c: Check, regimen: Any, field: str, route: str, source_keys: set[str]) -> list[str]:
    """A regimen's sites, pharmacokinetics and missed-dose advice; returns its texts (for citation checks)."""
    texts: list[str] = []
    # Sites belong to the regimen: Xyosted is abdomen-only, intramuscular enanthate is not; oral and topical: [].
    sites = c.strings(regimen["sites"], f"{field}.sites")
    if len(set(sites)) != len(sites):
        c.fail(f"{field}.sites", "lists a site twice")
    mode = c.choice(regimen.get("sites_mode", "rotate"), f"{field}.sites_mode", SITES_MODES)
    if mode == "all" and not sites:
        c.fail(f"{field}.sites_mode", '"all" needs the sites a session treats')

    # Pharmacokinetics, only where published, and only for this regimen's own route.
    pk = regimen["pk"]
    if pk is None:
        texts.append(c.text(regimen.get("pk_note"), f"{field}.pk_note"))
    else:
        if "pk_note" in regimen:
            c.fail(f"{field}.pk_note", "is only for a regimen without pk (say why there is no curve)")
        texts += _pk(c, pk, f"{field}.pk", route, source_keys)

    missed = regimen.get("missed_dose")
    if missed is not None:
        c.keys(missed, f"{field}.missed_dose", {"text", "source", "max_gap_hours"})
        texts.append(c.text(missed["text"], f"{field}.missed_dose.text"))
        c.source_key(missed["source"], f"{field}.missed_dose.source", source_keys)
        if missed["max_gap_hours"] is not None:
            c.number(missed["max_gap_hours"], f"{field}.missed_dose.max_gap_hours")
    return texts


def _ladder(c: Check, ladder: Any, field: str) -> list[str]:
    if not isinstance(ladder, list):
        c.fail(field, "must be a list")
    texts: list[str] = []
    optional_seen = False
    for j, step in enumerate(ladder):
        last = j == len(ladder) - 1
        required = {"dose"} if last else {"dose", "weeks"}
        c.keys(step, f"{field}[{j}]", {"dose", "weeks", "optional", "label_text"}, {"weeks", "optional", "label_text"})
        if not required <= set(step):
            c.fail(f"{field}[{j}].weeks", "is required")
        c.decimal(step["dose"], f"{field}[{j}].dose")
        if "weeks" in step:
            c.whole(step["weeks"], f"{field}[{j}].weeks", minimum=1)
        if "optional" in step:
            if step["optional"] is not True:
                c.fail(f"{field}[{j}].optional", "write optional: true, or leave it out")
            if j == 0:
                c.fail(f"{field}[{j}].optional", "the first step is where a ladder starts; it cannot be optional")
            optional_seen = True
        elif optional_seen:
            c.fail(f"{field}[{j}].optional", "a step after an optional step can only be reached optionally too")
        if "label_text" in step:
            if not step.get("optional"):
                c.fail(f"{field}[{j}].label_text", "only an optional step says what the label allows")
            texts.append(c.text(step["label_text"], f"{field}[{j}].label_text"))
    return texts


def _course(c: Check, course: Any, field: str) -> None:
    c.keys(course, field, {"sessions", "offsets_weeks", "note"}, {"note", "offsets_weeks"})
    sessions = c.whole(course["sessions"], f"{field}.sessions", minimum=1)
    if "note" in course:
        c.text(course["note"], f"{field}.note")
    if "offsets_weeks" not in course:
        return
    offsets = course["offsets_weeks"]
    if not isinstance(offsets, list) or not all(isinstance(w, int) and not isinstance(w, bool) for w in offsets):
        c.fail(f"{field}.offsets_weeks", "must be a list of whole weeks")
    if len(offsets) != sessions:
        c.fail(f"{field}.offsets_weeks", f"has {len(offsets)} weeks for {sessions} sessions")
    if offsets[0] != 0:
        c.fail(f"{field}.offsets_weeks", "must start at week 0, the first session")
    if any(b <= a for a, b in zip(offsets, offsets[1:], strict=False)):
        c.fail(f"{field}.offsets_weeks", "must be strictly increasing")


def _pk(c: Check, pk: Any, field: str, route: str, source_keys: set[str]) -> list[str]:
    c.keys(pk, field, PK_KEYS, PK_OPTIONAL)
    c.number(pk["half_life_hours"], f"{field}.half_life_hours")
    for name in ("tmax_hours", "ka_per_hour"):
        if name in pk:
            c.number(pk[name], f"{field}.{name}")
    if "tmax_hours" in pk and "ka_per_hour" in pk:
        c.fail(f"{field}.ka_per_hour", "give tmax_hours or ka_per_hour, not both")
    if "bioavailability" in pk:
        c.number(pk["bioavailability"], f"{field}.bioavailability")
        if pk["bioavailability"] > 1:
            c.fail(f"{field}.bioavailability", "is a fraction from 0 to 1 (0.89, not 89)")
    measured = c.choice(pk["route"], f"{field}.route", ROUTES)
    if measured != route:
        c.fail(f"{field}.route", f"pharmacokinetics measured for {measured} use cannot describe a {route} regimen")
    texts = [c.text(pk["basis"], f"{field}.basis")]
    c.source_key(pk["source"], f"{field}.source", source_keys)
    if "note" in pk:
        texts.append(c.text(pk["note"], f"{field}.note"))
    elif "tmax_hours" not in pk and "ka_per_hour" not in pk:
        c.fail(f"{field}.note", "say what is missing: no absorption rate (tmax_hours or ka_per_hour) is given")
    return texts
