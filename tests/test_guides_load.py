"""The guide library's files: every one validates, loading is idempotent and versioned by content hash,
a broken file fails loudly naming the file and the field (and loads nothing), and the content keeps the
non-negotiables of issue 3 (every regimen sourced, the dutasteride mesotherapy caveats, the semaglutide ladders).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from shotlee.guides import schema
from shotlee.guides.checks import GuideFileError
from shotlee.guides.loader import CONTENT_DIR, load_guides, read_guide
from shotlee.guides.models import Guide, GuideVersion

SLUGS = {
    "dutasteride-mesotherapy": "5-alpha-reductase inhibitor",
    "dutasteride-oral": "5-alpha-reductase inhibitor",
    "finasteride-oral": "5-alpha-reductase inhibitor",
    "finasteride-topical": "5-alpha-reductase inhibitor",
    "minoxidil-oral-low-dose": "minoxidil",
    "minoxidil-topical": "minoxidil",
    "semaglutide": "incretin agonist",
    "semaglutide-oral": "incretin agonist",
    "tirzepatide": "incretin agonist",
    "testosterone-cypionate": "androgen",
    "testosterone-enanthate": "androgen",
}
FOUR_CLASSES = {"5-alpha-reductase inhibitor", "minoxidil", "incretin agonist", "androgen"}
FILES = sorted(CONTENT_DIR.glob("*.yaml"))
BROKEN = "tirzepatide.yaml"  # sorts last, so every good file is read before the broken one


def guide(slug: str) -> dict[str, Any]:
    return read_guide(CONTENT_DIR / f"{slug}.yaml")


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    target.mkdir()
    for path in FILES:
        shutil.copy(path, target / path.name)
    return target


def rewrite(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- every file validates -------------------------------------------------------------------------------


def test_the_library_holds_exactly_the_guides_of_issues_3_and_13():
    assert {path.stem for path in FILES} == set(SLUGS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_guide_file_validates_and_its_slug_is_its_file_name(path):
    data = read_guide(path)
    assert data["slug"] == path.stem
    assert data["regimens"], "a guide without a regimen has nothing to track"


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_each_guide_holds_its_drug_class_one_of_the_four(slug):
    data = guide(slug)
    assert data["drug_class"] in FOUR_CLASSES
    assert data["drug_class"] == SLUGS[slug]


# --- loading: idempotent, versioned by content hash ----------------------------------------------------


def snapshot() -> dict[str, tuple]:
    return {g.slug: (g.pk, g.content_hash, g.updated_at, g.content) for g in Guide.objects.all()}


def test_loading_creates_every_guide_with_one_version_each(db):
    report = load_guides()
    assert sorted(report.created) == sorted(SLUGS)
    assert report.updated == [] and report.unchanged == []
    assert Guide.objects.count() == len(SLUGS)
    assert GuideVersion.objects.count() == len(SLUGS)
    for g in Guide.objects.all():
        assert len(g.content_hash) == 64
        assert GuideVersion.objects.get(slug=g.slug).content_hash == g.content_hash


def test_loading_twice_changes_nothing(db):
    load_guides()
    before, versions = snapshot(), list(GuideVersion.objects.order_by("pk").values_list("pk", "slug", "content_hash"))
    report = load_guides()
    assert report.created == [] and report.updated == []
    assert sorted(report.unchanged) == sorted(SLUGS)
    assert snapshot() == before  # same rows, same hashes, not even touched (updated_at unchanged)
    assert list(GuideVersion.objects.order_by("pk").values_list("pk", "slug", "content_hash")) == versions


def test_the_management_command_twice_reports_all_unchanged_the_second_time(db):
    from io import StringIO

    first, second = StringIO(), StringIO()
    call_command("load_guides", stdout=first)
    call_command("load_guides", stdout=second)
    n = len(SLUGS)
    assert f"{n} created, 0 updated, 0 unchanged" in first.getvalue()
    assert f"0 created, 0 updated, {n} unchanged" in second.getvalue()
    assert GuideVersion.objects.count() == n


def test_a_changed_file_updates_its_guide_adds_a_version_and_changes_the_hash(db, tmp_path):
    load_guides()
    old = Guide.objects.get(slug="finasteride-oral")
    others = {slug: row for slug, row in snapshot().items() if slug != "finasteride-oral"}
    content = copy_content(tmp_path)
    rewrite(content / "finasteride-oral.yaml", lambda d: d.update(summary="A shorter summary, edited for this test."))

    report = load_guides(content)

    assert report.updated == ["finasteride-oral"]
    assert report.created == [] and sorted(report.unchanged) == sorted(set(SLUGS) - {"finasteride-oral"})
    new = Guide.objects.get(slug="finasteride-oral")
    assert new.pk == old.pk
    assert new.content_hash != old.content_hash
    assert new.summary == "A shorter summary, edited for this test."
    assert GuideVersion.objects.count() == len(SLUGS) + 1
    assert set(GuideVersion.objects.filter(slug="finasteride-oral").values_list("content_hash", flat=True)) == {
        old.content_hash,
        new.content_hash,
    }
    assert {slug: row for slug, row in snapshot().items() if slug != "finasteride-oral"} == others

    # Going back to the original text restores the first hash and reuses its version row.
    back = load_guides()
    assert back.updated == ["finasteride-oral"]
    assert Guide.objects.get(slug="finasteride-oral").content_hash == old.content_hash
    assert GuideVersion.objects.count() == len(SLUGS) + 1


def test_the_hash_ignores_formatting_but_not_content(db, tmp_path):
    """Re-dumping a file with different YAML layout but the same data is not a new version."""
    load_guides()
    content = copy_content(tmp_path)
    rewrite(content / "semaglutide.yaml", lambda d: None)
    assert (content / "semaglutide.yaml").read_text() != (CONTENT_DIR / "semaglutide.yaml").read_text()
    report = load_guides(content)
    assert report.updated == [] and len(report.unchanged) == len(SLUGS)


# --- broken files fail loudly, naming the file and the field ------------------------------------------


def _add_unknown_key(d):
    d["colour"] = "blue"


def _drop_summary(d):
    del d["summary"]


def _bad_route(d):
    d["route"] = "nasal"


def _bad_unit(d):
    d["regimens"][0]["unit"] = "grams"


def _bad_status(d):
    d["status"] = "experimental"


def _numeric_dose(d):
    d["regimens"][0]["dose"] = 2.5


def _unknown_regimen_source(d):
    d["regimens"][0]["sources"].append("nobody-2099")


def _dangling_citation(d):
    d["deep_dive"] += "\n\nA claim with a made-up source [S:ghost-2001]."


def _slug_not_file_name(d):
    d["slug"] = "tirzepatide-weekly"


BREAKAGES = [
    pytest.param(_add_unknown_key, "colour", "unknown key", id="unknown-key"),
    pytest.param(_drop_summary, "summary", "is required", id="missing-required-key"),
    pytest.param(_bad_route, "route", "nasal", id="wrong-route"),
    pytest.param(_bad_unit, "regimens[0].unit", "grams", id="wrong-unit"),
    pytest.param(_bad_status, "status", "experimental", id="wrong-status"),
    pytest.param(_numeric_dose, "regimens[0].dose", "string", id="dose-as-number"),
    pytest.param(_unknown_regimen_source, "regimens[0].sources", "nobody-2099", id="regimen-cites-unknown-source"),
    pytest.param(_dangling_citation, "sources", "ghost-2001", id="citation-without-source"),
    pytest.param(_slug_not_file_name, "slug", "file name", id="slug-not-file-name"),
    pytest.param(None, "(file)", "not valid YAML", id="invalid-yaml"),
]


def broken_content(tmp_path: Path, change) -> Path:
    content = copy_content(tmp_path)
    if change is None:
        (content / BROKEN).write_text("slug: tirzepatide\ntitle: [unclosed\n  summary: oops: :\n", encoding="utf-8")
    else:
        rewrite(content / BROKEN, change)
    return content


@pytest.mark.parametrize(("change", "field", "says"), BREAKAGES)
def test_a_broken_file_fails_naming_file_and_field_and_loads_nothing(db, tmp_path, change, field, says):
    content = broken_content(tmp_path, change)
    with pytest.raises(GuideFileError) as caught:
        load_guides(content)
    error = caught.value
    assert error.filename == BROKEN
    assert error.field == field
    assert says in error.message
    assert str(error).startswith(f"{BROKEN}: {field}: ")
    # Validation comes before any write: the good files in the same folder were not loaded either.
    assert Guide.objects.count() == 0
    assert GuideVersion.objects.count() == 0


@pytest.mark.parametrize(("change", "field", "says"), BREAKAGES)
def test_the_command_refuses_a_broken_file_with_file_and_field_in_the_message(db, tmp_path, change, field, says):
    content = broken_content(tmp_path, change)
    with pytest.raises(CommandError) as caught:
        call_command("load_guides", "--dir", str(content))
    message = str(caught.value)
    assert message.startswith(f"guide file invalid: {BROKEN}: {field}: ")
    assert says in message
    assert caught.value.returncode == 1
    assert Guide.objects.count() == 0


def test_a_broken_file_leaves_an_already_loaded_library_untouched(db, tmp_path):
    load_guides()
    before = snapshot()
    content = copy_content(tmp_path)
    rewrite(content / "finasteride-oral.yaml", lambda d: d.update(summary="An edit that must not land."))
    rewrite(content / BROKEN, _bad_route)
    with pytest.raises(GuideFileError):
        load_guides(content)
    assert snapshot() == before
    assert GuideVersion.objects.count() == len(SLUGS)


# --- the content's non-negotiables ---------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_every_regimen_cites_at_least_one_source_with_a_web_address(slug):
    data = guide(slug)
    sources = {s["key"]: s for s in data["sources"]}
    for regimen in data["regimens"]:
        assert regimen["sources"], f"{slug}/{regimen['key']} has no source"
        for key in regimen["sources"]:
            assert sources[key]["url"].startswith(("https://", "http://")), f"{slug}/{regimen['key']}: {key}"


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_a_guide_without_a_standard_protocol_says_so(slug):
    data = guide(slug)
    if data["standardized"]:
        return
    assert data.get("standardization_note", "").strip(), f"{slug} is not standardized but has no note"


def test_dutasteride_mesotherapy_shows_both_published_regimens():
    regimens = guide("dutasteride-mesotherapy")["regimens"]
    quarterly = [r for r in regimens if r["dose"] == "0.1" and r["schedule"] == {"every": 3, "unit": "months"}]
    assert len(quarterly) == 1 and quarterly[0]["unit"] == "mg" and quarterly[0]["route"] == "intradermal"
    weekly_courses = [r for r in regimens if r["dose"] == "1" and r["schedule"] == {"every": 1, "unit": "weeks"}]
    assert weekly_courses, "the ≈1 mg weekly-course regimen is missing"
    assert all(r["unit"] == "mg" and r["course"] and r["course"]["sessions"] >= 7 for r in weekly_courses)
    assert "0.01 %" in quarterly[0]["label"] and "1 mL" in quarterly[0]["label"]
    assert all("0.05 %" in r["label"] and "2 mL" in r["label"] for r in weekly_courses)


def test_dutasteride_mesotherapy_says_no_standardized_protocol_exists():
    data = guide("dutasteride-mesotherapy")
    assert data["standardized"] is False
    assert "no standardized protocol exists" in data["standardization_note"].lower()


def test_dutasteride_mesotherapy_flags_the_monthly_vendor_claim_and_the_needle_as_unconfirmed():
    data = guide("dutasteride-mesotherapy")
    unconfirmed = data["unconfirmed"]
    assert any("0.5-1 mg" in item and "monthly" in item for item in unconfirmed)
    assert any("4 mm" in item and "30G" in item for item in unconfirmed)
    # ...and neither figure is stated as fact where the guide describes the device or the regimens.
    assert "30G" not in data["device"] and "4 mm" not in data["device"]
    for regimen in data["regimens"]:
        assert "monthly" not in regimen["label"].lower()
        assert regimen["schedule"] != {"every": 1, "unit": "months"}


def test_semaglutide_has_the_wegovy_and_ozempic_ladders():
    regimens = {r["key"]: r for r in guide("semaglutide")["regimens"]}
    wegovy = regimens["wegovy-weekly-ladder"]
    assert [s["dose"] for s in wegovy["ladder"]] == ["0.25", "0.5", "1", "1.7", "2.4"]
    assert [s.get("weeks") for s in wegovy["ladder"]] == [4, 4, 4, 4, None]
    assert wegovy["schedule"] == {"every": 1, "unit": "weeks"} and wegovy["unit"] == "mg"
    assert wegovy["dose"] == wegovy["ladder"][0]["dose"]
    ozempic = [r for key, r in regimens.items() if key.startswith("ozempic")]
    assert len(ozempic) == 1
    assert [s["dose"] for s in ozempic[0]["ladder"]] == ["0.25", "0.5", "1", "2"]
    assert ozempic[0]["schedule"] == {"every": 1, "unit": "weeks"}


def test_the_schema_enums_match_the_issue():
    assert set(schema.CLASSES) == FOUR_CLASSES
    assert set(schema.ROUTES) >= {"intradermal", "subcutaneous", "intramuscular", "oral", "topical"}
