"""Issue 13 and the guide part of issue 10: the schema of the safety block and of the per-regimen fields (sites and
site mode, pharmacokinetics for the regimen's own route, missed-dose guidance, optional ladder steps, course session
weeks), each with a good file and bad files that must fail naming the field.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from shotlee.guides.checks import GuideFileError
from shotlee.guides.loader import CONTENT_DIR, read_guide
from shotlee.guides.schema import is_labelled, label_version_date, validate

TODAY = date(2026, 11, 29)
SLUGS = sorted(path.stem for path in CONTENT_DIR.glob("*.yaml"))


def guide(slug: str) -> dict[str, Any]:
    return read_guide(CONTENT_DIR / f"{slug}.yaml")


def check(data: dict[str, Any], today: date = TODAY) -> dict[str, Any]:
    return validate(data, "<memory>", today=today)


def broken(slug: str, change, today: date = TODAY) -> GuideFileError:
    data = copy.deepcopy(guide(slug))
    change(data)
    with pytest.raises(GuideFileError) as caught:
        check(data, today)
    return caught.value


def regimen(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in data["regimens"] if r["key"] == key)


# --- the library as it stands -------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_a_labelled_guide_names_its_boxed_warning_or_says_none(slug):
    data = guide(slug)
    boxed = data["safety"]["boxed_warning"]
    if is_labelled(data):
        assert boxed == "none" or (isinstance(boxed, list) and boxed), slug


@pytest.mark.parametrize("slug", SLUGS)
def test_every_source_used_in_safety_was_reviewed_and_no_version_postdates_its_review(slug):
    data = guide(slug)
    sources = {s["key"]: s for s in data["sources"]}
    safety = data["safety"]
    items = [] if safety["boxed_warning"] == "none" else list(safety["boxed_warning"])
    for name in ("contraindications", "warnings", "pregnancy_lactation", "interactions", "monitoring"):
        items += safety[name]
    for item in items:
        source = sources[item["source"]]
        reviewed = date.fromisoformat(source["reviewed_on"])
        assert reviewed <= date.today(), f"{slug}: {source['key']} reviewed in the future"
        if "version" in source:
            assert label_version_date(source["version"]) <= reviewed, f"{slug}: {source['key']}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_regimen_carries_its_own_sites_and_pk_or_a_reason_for_none(slug):
    for r in guide(slug)["regimens"]:
        assert isinstance(r["sites"], list)
        if r["pk"] is None:
            assert r["pk_note"].strip()
        else:
            assert r["pk"]["route"] == r["route"], f"{slug}/{r['key']}"


# --- good files ----------------------------------------------------------------------------------------


def test_a_guide_with_no_label_source_may_leave_the_boxed_warning_empty():
    data = copy.deepcopy(guide("dutasteride-mesotherapy"))
    data["status"] = "research"
    for source in data["sources"]:
        if source["kind"] == "label":
            source["kind"] = "monograph"
    data["safety"]["boxed_warning"] = []
    assert check(data) is data


def test_the_new_optional_fields_validate_when_well_formed():
    data = copy.deepcopy(guide("semaglutide"))
    wegovy = regimen(data, "wegovy-weekly-ladder")
    wegovy["sites_mode"] = "rotate"
    wegovy["course"] = {"sessions": 3, "offsets_weeks": [0, 2, 6], "note": "test"}
    wegovy["pk"] = {**wegovy["pk"], "ka_per_hour": 0.05}
    del wegovy["pk"]["tmax_hours"]
    wegovy["missed_dose"] = {"text": "A test.", "source": "ozempic-dosing", "max_gap_hours": None}
    data["sources"][0]["version"] = "2026-11-29"
    data["sources"][0]["reviewed_on"] = "2026-11-29"
    assert check(data) is data


# --- bad files: the safety block -----------------------------------------------------------------------


def _set(path: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        target = d
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


def _source(key: str, field: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        source = next(s for s in d["sources"] if s["key"] == key)
        if value is KeyError:
            del source[field]
        else:
            source[field] = value

    return change


SAFETY_BREAKAGES = [
    pytest.param("tirzepatide", _set("safety", KeyError), "safety", "is required", id="no-safety-block"),
    pytest.param(
        "tirzepatide", _set("safety.boxed_warning", []), "safety.boxed_warning", '"none"', id="labelled-empty-boxed"
    ),
    pytest.param(
        "testosterone-enanthate", _set("safety.boxed_warning", "None"), "safety.boxed_warning", '"none"',
        id="boxed-not-the-word-none",
    ),
    pytest.param(
        "tirzepatide", _set("safety.boxed_warning.0.source", "ghost-2001"), "safety.boxed_warning[0].source",
        "ghost-2001", id="boxed-unknown-source",
    ),
    pytest.param(
        "tirzepatide", _set("safety.boxed_warning.0.text", " "), "safety.boxed_warning[0].text", "non-empty",
        id="boxed-empty-text",
    ),
    pytest.param(
        "semaglutide", _set("safety.warnings.0.severity", "high"), "safety.warnings[0].severity", "unknown key",
        id="item-unknown-key",
    ),
    pytest.param(
        "semaglutide", _set("safety.monitoring.0.how_often", KeyError), "safety.monitoring[0].how_often",
        "is required", id="monitoring-without-how-often",
    ),
    pytest.param("semaglutide", _set("safety.interactions", "none"), "safety.interactions", "list", id="not-a-list"),
    pytest.param(
        "tirzepatide", _source("zepbound-hcp", "reviewed_on", KeyError), "safety.boxed_warning[0].source",
        "no reviewed_on", id="safety-source-never-reviewed",
    ),
    pytest.param(
        "testosterone-enanthate", _source("xyosted-fda-label", "reviewed_on", "2027-01-01"),
        "sources[1].reviewed_on", "in the future", id="reviewed-in-the-future",
    ),
    pytest.param(
        "testosterone-enanthate", _source("xyosted-fda-label", "version", "2026-12"), "sources[1].version",
        "later than reviewed_on", id="version-after-review",
    ),
    pytest.param(
        "testosterone-enanthate", _source("xyosted-fda-label", "reviewed_on", date(2026, 11, 1)),
        "sources[1].reviewed_on", "quoted string", id="unquoted-date",
    ),
    pytest.param(
        "testosterone-enanthate", _source("xyosted-fda-label", "version", "March 2025"), "sources[1].version",
        "YYYY-MM", id="version-not-a-date",
    ),
    pytest.param(
        "testosterone-enanthate", _source("xyosted-fda-label", "reviewed_on", "2026-02-30"),
        "sources[1].reviewed_on", "not a real date", id="impossible-date",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("slug", "change", "field", "says"), SAFETY_BREAKAGES)
def test_a_broken_safety_block_fails_naming_the_field(slug, change, field, says):
    error = broken(slug, change)
    assert error.field == field, error
    assert says in error.message, error


def test_a_version_of_the_same_month_as_the_review_is_accepted():
    data = copy.deepcopy(guide("testosterone-enanthate"))
    source = next(s for s in data["sources"] if s["key"] == "xyosted-openfda")
    source["version"], source["reviewed_on"] = "2026-11", "2026-11-01"
    assert check(data) is data


# --- bad files: per-regimen data -----------------------------------------------------------------------


def _reg(slug: str, key: str, field: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        r = regimen(d, key)
        if value is KeyError:
            del r[field]
        else:
            r[field] = value

    return change


def _ladder(key: str, index: int, field: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        step = regimen(d, key)["ladder"][index]
        if value is KeyError:
            del step[field]
        else:
            step[field] = value

    return change


MESO_COURSE = "weekly-course-1-mg-7-sessions"
REGIMEN_BREAKAGES = [
    pytest.param("semaglutide", _reg("semaglutide", "wegovy-weekly-ladder", "sites", KeyError),
                 "regimens[0].sites", "is required", id="no-sites"),
    pytest.param("semaglutide", _reg("semaglutide", "wegovy-weekly-ladder", "sites", ["thigh", "thigh"]),
                 "regimens[0].sites", "twice", id="duplicate-site"),
    pytest.param("dutasteride-mesotherapy", _reg("", "quarterly-0-1-mg", "sites_mode", "some"),
                 "regimens[0].sites_mode", "rotate, all", id="bad-sites-mode"),
    pytest.param("finasteride-oral", _reg("", "daily-1-mg", "sites_mode", "all"),
                 "regimens[0].sites_mode", "needs the sites", id="all-without-sites"),
    pytest.param("dutasteride-mesotherapy", _reg("", "quarterly-0-1-mg", "pk_note", KeyError),
                 "regimens[0].pk_note", "non-empty", id="no-pk-and-no-reason"),
    pytest.param("semaglutide", _reg("", "wegovy-weekly-ladder", "pk_note", "why not"),
                 "regimens[0].pk_note", "only for a regimen without pk", id="pk-and-pk-note"),
    pytest.param("semaglutide", _reg("", "wegovy-weekly-ladder", "pk", {"half_life_hours": 168}),
                 "regimens[0].pk.basis", "is required", id="pk-incomplete"),
    pytest.param("semaglutide", _reg("", "wegovy-weekly-ladder", "missed_dose",
                                     {"text": "x", "source": "nobody", "max_gap_hours": 120}),
                 "regimens[0].missed_dose.source", "nobody", id="missed-dose-unknown-source"),
    pytest.param("semaglutide", _reg("", "wegovy-weekly-ladder", "missed_dose",
                                     {"text": "x", "source": "ozempic-dosing", "max_gap_hours": -1}),
                 "regimens[0].missed_dose.max_gap_hours", "positive", id="missed-dose-negative-gap"),
    pytest.param("semaglutide", _reg("", "wegovy-weekly-ladder", "missed_dose",
                                     {"text": "x", "source": "ozempic-dosing"}),
                 "regimens[0].missed_dose.max_gap_hours", "is required", id="missed-dose-without-gap"),
    pytest.param("semaglutide", _ladder("ozempic-weekly-ladder", 0, "optional", True),
                 "regimens[1].ladder[0].optional", "first step", id="first-step-optional"),
    pytest.param("semaglutide", _ladder("ozempic-weekly-ladder", 2, "optional", False),
                 "regimens[1].ladder[2].optional", "optional: true", id="optional-false"),
    pytest.param("semaglutide", _ladder("ozempic-weekly-ladder", 3, "optional", KeyError),
                 "regimens[1].ladder[3].optional", "optionally too", id="mandatory-after-optional"),
    pytest.param("semaglutide", _ladder("wegovy-weekly-ladder", 2, "label_text", "allowed"),
                 "regimens[0].ladder[2].label_text", "only an optional step", id="label-text-on-fixed-step"),
    pytest.param("semaglutide", _ladder("wegovy-weekly-ladder", 2, "weeks", KeyError),
                 "regimens[0].ladder[2].weeks", "is required", id="middle-step-without-weeks"),
    pytest.param("dutasteride-mesotherapy", _reg("", MESO_COURSE, "course",
                                                 {"sessions": 7, "offsets_weeks": [0, 1, 2, 3, 5, 7]}),
                 "regimens[1].course.offsets_weeks", "6 weeks for 7 sessions", id="offsets-count"),
    pytest.param("dutasteride-mesotherapy", _reg("", MESO_COURSE, "course",
                                                 {"sessions": 3, "offsets_weeks": [1, 2, 3]}),
                 "regimens[1].course.offsets_weeks", "week 0", id="offsets-not-from-zero"),
    pytest.param("dutasteride-mesotherapy", _reg("", MESO_COURSE, "course",
                                                 {"sessions": 3, "offsets_weeks": [0, 2, 2]}),
                 "regimens[1].course.offsets_weeks", "strictly increasing", id="offsets-not-increasing"),
    pytest.param("dutasteride-mesotherapy", _reg("", MESO_COURSE, "course",
                                                 {"sessions": 2, "offsets_weeks": [0, 1.5]}),
                 "regimens[1].course.offsets_weeks", "whole weeks", id="offsets-fractional"),
    pytest.param("dutasteride-mesotherapy", _reg("", MESO_COURSE, "course", {"sessions": 0}),
                 "regimens[1].course.sessions", "at least 1", id="no-sessions"),
]  # fmt: skip


@pytest.mark.parametrize(("slug", "change", "field", "says"), REGIMEN_BREAKAGES)
def test_a_broken_regimen_field_fails_naming_it(slug, change, field, says):
    error = broken(slug, change)
    assert error.field == field, error
    assert says in error.message, error


PK_BREAKAGES = [
    pytest.param({"route": "oral"}, "route", "oral use cannot describe a subcutaneous", id="pk-from-another-route"),
    pytest.param({"ka_per_hour": 0.1}, "ka_per_hour", "not both", id="tmax-and-ka"),
    pytest.param({"bioavailability": 89}, "bioavailability", "fraction", id="bioavailability-percent"),
    pytest.param({"half_life_hours": 0}, "half_life_hours", "positive", id="zero-half-life"),
    pytest.param({"source": "ghost-2001"}, "source", "ghost-2001", id="unknown-pk-source"),
    pytest.param({"colour": "red"}, "colour", "unknown key", id="unknown-pk-key"),
]


@pytest.mark.parametrize(("changes", "field", "says"), PK_BREAKAGES)
def test_broken_pharmacokinetics_fail_naming_the_field(changes, field, says):
    def change(d: dict[str, Any]) -> None:
        r = regimen(d, "wegovy-weekly-ladder")
        r["pk"] = {**r["pk"], **changes}

    error = broken("semaglutide", change)
    assert error.field == f"regimens[0].pk.{field}", error
    assert says in error.message, error


def test_pk_without_an_absorption_rate_must_say_what_is_missing():
    def change(d: dict[str, Any]) -> None:
        pk = regimen(d, "wegovy-weekly-ladder")["pk"]
        del pk["tmax_hours"], pk["note"]

    error = broken("semaglutide", change)
    assert error.field == "regimens[0].pk.note" and "missing" in error.message


def test_the_guide_level_sites_and_pk_are_gone():
    for key in ("sites", "pk"):
        error = broken("semaglutide", _set(key, []))
        assert (error.field, error.message) == (key, "unknown key")
