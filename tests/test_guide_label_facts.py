"""Issue 13: the label facts the guides must state (and must no longer state), checked in the guide files.

Each test names the fact and where it comes from; the sources themselves are cited in the files.
"""

from __future__ import annotations

import re
from typing import Any

from shotlee.guides.loader import CONTENT_DIR, read_guide


def guide(slug: str) -> dict[str, Any]:
    return read_guide(CONTENT_DIR / f"{slug}.yaml")


def regimen(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in data["regimens"] if r["key"] == key)


def sources(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in data["sources"]}


def safety_texts(data: dict[str, Any], section: str) -> str:
    items = data["safety"][section]
    return " ".join(i["text"] for i in items) if isinstance(items, list) else items


# --- pharmacokinetics never borrowed from another route ------------------------------------------------


def test_no_mesotherapy_regimen_carries_pharmacokinetics_from_oral_dutasteride():
    data = guide("dutasteride-mesotherapy")
    oral_sources = {
        "ahfs-dutasteride",
        "avodart-label",
        "avodart-label-pd",
        "avodart-ch-kinetics",
        "dutasteride-pd-label",
    }
    for r in data["regimens"]:
        assert r["route"] == "intradermal"
        assert r["pk"] is None or (r["pk"]["route"] == "intradermal" and r["pk"]["source"] not in oral_sources)
        if r["pk"] is None:
            assert "no pharmacokinetics are published" in r["pk_note"].lower()


def test_xyosted_does_not_borrow_the_intramuscular_enanthate_half_life():
    data = guide("testosterone-enanthate")
    xyosted = regimen(data, "xyosted-75-mg-weekly")
    im = regimen(data, "im-100-to-200-mg-every-1-to-4-weeks")
    assert xyosted["route"] == "subcutaneous" and im["route"] == "intramuscular"
    assert im["pk"]["source"] == "enanthate-half-life" and im["pk"]["route"] == "intramuscular"
    assert xyosted["pk"] is None or (
        xyosted["pk"]["route"] == "subcutaneous" and xyosted["pk"]["source"] != "enanthate-half-life"
    )


def test_oral_dutasteride_pk_is_oral_with_absorption():
    pk = regimen(guide("dutasteride-oral"), "daily-0-5-mg")["pk"]
    assert (pk["route"], pk["half_life_hours"], pk["tmax_hours"], pk["bioavailability"]) == ("oral", 840, 2, 0.6)


# --- sites belong to the regimen -----------------------------------------------------------------------


def test_xyosted_is_abdomen_only_and_intramuscular_regimens_never_list_the_abdomen():
    for slug in ("testosterone-enanthate", "testosterone-cypionate"):
        for r in guide(slug)["regimens"]:
            if r["route"] == "subcutaneous":
                assert r["sites"] and all(site.startswith("abdomen") for site in r["sites"]), r["key"]
            else:
                assert r["route"] == "intramuscular"
                assert r["sites"] and not any("abdomen" in site or "Xyosted" in site for site in r["sites"]), r["key"]
                assert any("gluteal" in site for site in r["sites"]) and any("deltoid" in site for site in r["sites"])


def test_oral_regimens_have_no_sites_and_mesotherapy_treats_all_zones_per_session():
    for path in CONTENT_DIR.glob("*.yaml"):
        for r in read_guide(path)["regimens"]:
            if r["route"] == "oral":
                assert r["sites"] == [], (path.stem, r["key"])
            if r["route"] == "intradermal":
                assert r.get("sites_mode") == "all" and "vertex/crown" in r["sites"], (path.stem, r["key"])
            elif r.get("sites_mode") == "all":
                raise AssertionError(f"{path.stem}/{r['key']}: only a mesotherapy session treats every zone")


# --- courses, ladders and missed doses -----------------------------------------------------------------


def test_the_mesotherapy_courses_list_the_week_of_each_session():
    data = guide("dutasteride-mesotherapy")
    seven = regimen(data, "weekly-course-1-mg-7-sessions")["course"]
    assert (seven["sessions"], seven["offsets_weeks"]) == (7, [0, 1, 2, 3, 5, 7, 11])
    twelve = regimen(data, "course-1-mg-12-sessions")["course"]
    assert twelve["sessions"] == 12 and twelve["offsets_weeks"][-1] == 16  # "over 16 weeks", assessed at week 18
    assert regimen(data, "quarterly-0-1-mg")["course"] is None


def optional_doses(r: dict[str, Any]) -> list[str]:
    return [s["dose"] for s in r["ladder"] if s.get("optional")]


def test_optional_steps_are_exactly_the_ones_the_labels_make_optional():
    sema = guide("semaglutide")
    assert optional_doses(regimen(sema, "wegovy-weekly-ladder")) == []  # fixed by the label
    ozempic = regimen(sema, "ozempic-weekly-ladder")
    assert optional_doses(ozempic) == ["1", "2"]
    assert all("glycaemic control" in s["label_text"] for s in ozempic["ladder"] if s.get("optional"))
    tirz = regimen(guide("tirzepatide"), "weekly-ladder-2-5-to-15-mg")
    assert [s["dose"] for s in tirz["ladder"] if not s.get("optional")] == ["2.5", "5"]
    assert optional_doses(tirz) == ["7.5", "10", "12.5", "15"]
    rybelsus = regimen(guide("semaglutide-oral"), "rybelsus-daily-ladder")
    assert [s["dose"] for s in rybelsus["ladder"]] == ["3", "7", "14"] and optional_doses(rybelsus) == ["14"]


def test_missed_dose_windows_come_from_the_labels():
    sema = guide("semaglutide")
    assert regimen(sema, "ozempic-weekly-ladder")["missed_dose"]["max_gap_hours"] == 120
    assert regimen(sema, "ozempic-weekly-ladder")["missed_dose"]["source"] == "ozempic-dosing"
    wegovy = regimen(sema, "wegovy-weekly-ladder")["missed_dose"]
    assert wegovy["max_gap_hours"] == 120 and "48 hours" in wegovy["text"] and "escalation" in wegovy["text"]
    tirz = regimen(guide("tirzepatide"), "weekly-ladder-2-5-to-15-mg")["missed_dose"]
    assert (tirz["max_gap_hours"], tirz["source"]) == (96, "lilly-zepbound-missed-dose")
    rybelsus = regimen(guide("semaglutide-oral"), "rybelsus-daily-ladder")["missed_dose"]
    assert rybelsus["max_gap_hours"] is None and "skip" in rybelsus["text"].lower()


# --- label facts fixed in issue 13 ---------------------------------------------------------------------


def test_xyosted_blood_pressure_is_a_warning_not_a_boxed_warning_and_the_label_itself_is_cited():
    data = guide("testosterone-enanthate")
    assert data["safety"]["boxed_warning"] == "none"
    bp = next(i for i in data["safety"]["warnings"] if "blood pressure" in i["text"])
    assert "5.4" in bp["text"] and "March 2025" in bp["text"]
    assert sources(data)[bp["source"]]["kind"] == "label"
    assert "api.fda.gov" in sources(data)[bp["source"]]["url"] or "fda" in sources(data)[bp["source"]]["url"]
    prose = " ".join([data["deep_dive"], data["side_effects_note"], *[f["a"] for f in data["faq"]]])
    assert "carries a boxed warning" not in prose and "has a boxed warning" not in prose
    assert "butalbitalapap" not in str(data["sources"])  # the out-of-date mirror page is gone
    assert "50, 75 and 100 mg" in data["deep_dive"]


def test_cypionate_states_the_class_blood_pressure_warning_polycythemia_and_contraindications():
    data = guide("testosterone-cypionate")
    warnings = safety_texts(data, "warnings").lower()
    assert "blood pressure" in warnings and ("hematocrit" in warnings or "polycythemia" in warnings)
    contra = safety_texts(data, "contraindications").lower()
    assert "breast" in contra and "prostate" in contra and "pregnancy" in contra
    assert any(m["what"].lower().startswith("hemoglobin and hematocrit") for m in data["safety"]["monitoring"])
    assert re.search(r"\[S:[a-z0-9-]+\]", data["side_effects_note"])  # the urgent signs note is sourced
    assert "leg" in data["side_effects_note"] and "shortness of breath" in data["side_effects_note"]


def test_cypionate_blood_pressure_warning_says_it_comes_from_another_cypionate_label():
    data = guide("testosterone-cypionate")
    bp = next(i for i in data["safety"]["warnings"] if "Blood pressure" in i["text"])
    assert bp["source"] == "azmiro-openfda" and sources(data)["azmiro-openfda"]["version"] == "2025-07"
    assert "Azmiro" in bp["text"] and "another testosterone cypionate product" in bp["text"]
    assert "Depo-Testosterone label text retrieved for this guide does not show it" in bp["text"]


def test_cypionate_urgent_signs_are_the_ones_the_pfizer_label_lists():
    """Leg pain, swelling, warmth or redness (DVT) and acute shortness of breath (PE); the label lists no chest pain."""
    note = guide("testosterone-cypionate")["side_effects_note"]
    clot = note[: note.index("[S:depo-testosterone-us-warnings]")]
    for words in ("pain, swelling, warmth or redness", "in a leg", "shortness of breath"):
        assert words in clot
    assert "chest pain" not in note


def test_tirzepatide_safety_is_sourced_with_mtc_men2_and_no_glp1_combination():
    data = guide("tirzepatide")
    boxed = data["safety"]["boxed_warning"]
    assert boxed and "thyroid C-cell" in boxed[0]["text"]
    assert "MEN 2" in safety_texts(data, "contraindications")
    combo = next(i for i in data["safety"]["interactions"] if "GLP-1" in i["text"])
    assert sources(data)[combo["source"]]["kind"] == "label"
    assert "pancreatitis" in safety_texts(data, "warnings").lower()
    assert "[S:" in data["deep_dive"][data["deep_dive"].index("**Safety.**") :].split("\n\n")[0]


def test_oral_5ari_guides_warn_of_high_grade_prostate_cancer_and_the_psa_halving():
    for slug in ("dutasteride-oral", "finasteride-oral"):
        warnings = safety_texts(guide(slug), "warnings").lower()
        assert "high-grade prostate cancer" in warnings, slug
        assert "psa" in warnings and "doubled" in warnings, slug


def test_the_high_grade_prostate_cancer_and_psa_warnings_cite_label_text():
    expected = {"dutasteride-oral": "dutasteride-generic-label", "finasteride-oral": "finasteride-1mg-label"}
    for slug, key in expected.items():
        data = guide(slug)
        label = sources(data)[key]
        assert label["kind"] == "label" and label["reviewed_on"], slug
        items = data["safety"]["warnings"]
        hgpc = next(i for i in items if "may increase the risk of high-grade prostate cancer" in i["text"])
        assert hgpc["source"] == key, slug
        psa = next(i for i in items if "confirmed rise in PSA" in i["text"])
        assert psa["source"] == key, slug
        # the trial percentages stay with the secondary page that restates them, and say so
        numbers = next(i for i in items if "Gleason 8-10" in i["text"])
        assert numbers["source"] == "hgpc-numbers" and "secondary" in numbers["text"], slug
    assert "06/2011" in sources(guide("finasteride-oral"))["finasteride-1mg-label"]["citation"]


def test_dht_lowering_cites_the_avodart_label_figures_not_a_case_report():
    for slug in ("dutasteride-mesotherapy", "dutasteride-oral"):
        data = guide(slug)
        text = data["mechanism"] + data["deep_dive"]
        assert "85 %" in text and "94 %" in text, slug
        sentence = next(s for s in re.split(r"(?<=\])\.|\n\n", text) if "85 %" in s)
        assert "[S:avodart-label-pd]" in sentence and "reguero" not in sentence, slug
        avodart = sources(data)["avodart-label-pd"]
        assert avodart["kind"] == "label" and avodart["reviewed_on"], slug
        assert "AVODART" in avodart["citation"] and all(f in avodart["citation"] for f in ("85 %", "90 %", "94 %"))
        # the Jalyn copy stays only as a second label giving the same figures, and says so
        assert "same figures" in sources(data)["dutasteride-pd-label"]["citation"], slug


def test_xyosted_intervals_say_they_come_from_the_label_before_march_2025():
    data = guide("testosterone-enanthate")
    for item in data["safety"]["monitoring"]:
        if item["source"] == "xyosted-warnings":
            assert "label version before March 2025" in item["how_often"], item["what"]
    assert "before March 2025" in sources(data)["xyosted-warnings"]["citation"]
    assert "The label's advice" not in data["deep_dive"]  # no longer presented as the current label
    assert sources(data)["xyosted-openfda"]["version"] == "2025-03"


def test_tirzepatide_pancreatitis_and_gallbladder_cite_lilly_not_a_secondary_summary():
    data = guide("tirzepatide")
    warnings = data["safety"]["warnings"]
    pancreatitis = next(i for i in warnings if "pancreatitis" in i["text"].lower())
    gallbladder = next(i for i in warnings if "gallbladder" in i["text"].lower())
    assert pancreatitis["source"] == "lilly-mounjaro-pancreatitis" and "stopped" in pancreatitis["text"]
    assert gallbladder["source"] == "lilly-zepbound-gallbladder" and "1.1 %" in gallbladder["text"]
    for key in ("lilly-mounjaro-pancreatitis", "lilly-zepbound-gallbladder"):
        assert "lilly.com" in sources(data)[key]["url"] and sources(data)[key]["reviewed_on"]
    allergy = next(i for i in warnings if "anaphylaxis" in i["text"])
    assert allergy["source"] == "zepbound-hcp"


def test_ozempic_warnings_name_the_version_they_were_checked_against():
    data = guide("semaglutide")
    current = sources(data)["ozempic-fda-label"]
    assert current["version"] == "2025-10" and "api.fda.gov" in current["url"]
    gi = next(i for i in data["safety"]["warnings"] if "Severe gastrointestinal" in i["text"])
    assert gi["source"] == "ozempic-fda-label" and "5.7" in gi["text"] and "October 2025" in gi["text"]
    older = sources(data)["ozempic-highlights"]["citation"]
    assert "earlier version" in older and "October 2025" in older


def test_topical_finasteride_maximum_is_455_micrograms():
    r = regimen(guide("finasteride-topical"), "once-daily-1-to-4-sprays")
    assert r["max_single_dose"] == "455" and "455" in r["label"] and "456 mcg)" not in r["label"]
    assert "4 × 113.75 = 455" in r["notes"]


def test_oral_finasteride_half_life_is_given_as_5_to_6_hours():
    data = guide("finasteride-oral")
    assert "5-6 hours" in data["deep_dive"] + data["regimens"][0]["pk"]["basis"]
    assert "5 mg" in regimen(data, "proscar-5-mg-daily")["label"]


def test_each_oral_finasteride_half_life_figure_names_its_own_source():
    """Sources disagree (Proscar product information: mean 6 h; encyclopedia: 5-6 h): each is shown with its source."""
    data = guide("finasteride-oral")
    paragraph = next(p for p in data["deep_dive"].split("\n\n") if p.startswith("**How long it stays.**"))
    sentences = re.split(r"(?<=[.\]])\s+(?=[A-Z])", " ".join(paragraph.split()))
    for sentence in sentences:
        if re.search(r"\d+(-\d+)? hours", sentence):
            assert re.search(r"\[S:[a-z0-9-]+\]", sentence), sentence  # no unsourced half-life
    six = next(s for s in sentences if "about 6 hours" in s)
    assert "[S:mims-proscar-pk]" in six and "8 hours" in six and "Proscar" in six
    five_six = next(s for s in sentences if "5-6 hours" in s)
    assert "[S:finasteride-pk-summary]" in five_six
    assert "Propecia (1 mg) label's own figure was not retrieved" in " ".join(sentences)
    pk = data["regimens"][0]["pk"]
    assert (pk["half_life_hours"], pk["source"]) == (6, "mims-proscar-pk")
    assert "Proscar" in pk["basis"] and "5-6 hours" in pk["basis"]
    assert "PROSCAR" in sources(data)["mims-proscar-pk"]["citation"] and sources(data)["mims-proscar-pk"]["reviewed_on"]
    assert regimen(data, "proscar-5-mg-daily")["pk"] == pk


def test_the_mesotherapy_pregnancy_warning_is_in_the_safety_block():
    text = safety_texts(guide("dutasteride-mesotherapy"), "pregnancy_lactation").lower()
    assert "pregnant" in text and "must not handle" in text


def test_oral_minoxidil_names_what_the_loniten_boxed_warning_says():
    data = guide("minoxidil-oral-low-dose")
    boxed = " ".join(i["text"] for i in data["safety"]["boxed_warning"]).lower()
    for words in ("pericardial effusion", "tamponade", "angina", "beta blocker", "diuretic"):
        assert words in boxed
    assert "pericardial effusion" in data["deep_dive"]


def test_womens_foam_is_half_a_capful_once_daily_from_the_label():
    r = regimen(guide("minoxidil-topical"), "women-5-percent-foam-once-daily")
    assert r["schedule"] == {"every": 1, "unit": "days"} and "half a capful" in r["label"]
    assert "womens-foam-label" in r["sources"]
