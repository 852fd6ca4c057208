"""Issue 13 on the page and in the API: the safety block near the top with the boxed warning first, the short
partial other pages include, no ledger or field jargon on the page a person reads, stacked regimen cards on a
phone, and GET /api/v1/guides/{slug} with the new per-regimen fields.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from shotlee.guides.loader import CONTENT_DIR, load_guides
from shotlee.guides.models import Guide
from shotlee.protocols.models import Protocol

SLUGS = sorted(path.stem for path in CONTENT_DIR.glob("*.yaml"))
CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"


@pytest.fixture(autouse=True)
def guides(db):
    load_guides()


def page(client, slug: str) -> str:
    response = client.get(f"/guides/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, section_id: str) -> str:
    start = body.index(f'id="{section_id}"')
    return body[start : body.index("</section>", start)]


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


# --- the safety block on the guide page ----------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_the_safety_block_comes_before_the_dose_framework_with_the_boxed_warning_first(client, slug):
    body = page(client, slug)
    main = body[body.index("<main") :]
    assert main.index('id="safety"') < main.index('id="framework"') < main.index('id="deep-dive"')
    safety = section(body, "safety")
    boxed_at = safety.index("Boxed warning")
    assert boxed_at < safety.index("Who must not use it") < safety.index("Warnings and precautions")
    assert safety.index("Warnings and precautions") < safety.index("Monitoring")
    data = Guide.objects.get(slug=slug).data["safety"]
    if data["boxed_warning"] == "none":
        assert "Boxed warning:</strong> none in the label checked." in safety
        assert 'class="boxed-warning"' not in safety
    else:
        box = safety[safety.index('class="boxed-warning"') :]
        box = box[: box.index("</div>")]
        # Named in words, a heading, a list: the colour of the box is never the only signal.
        assert re.search(r"<h3[^>]*>.*Boxed warning", box)
        assert box.count("<li>") == len(data["boxed_warning"])
        for item in data["boxed_warning"]:
            assert html.escape(item["text"], quote=False) in box or item["text"] in html.unescape(box)


def test_each_safety_point_links_its_numbered_source_and_the_source_says_when_it_was_checked(client):
    body = page(client, "tirzepatide")
    guide = Guide.objects.get(slug="tirzepatide")
    numbers = guide.rendered["numbers"]
    safety = section(body, "safety")
    links = re.findall(r'<a class="cite-link" href="#src-([a-z0-9-]+)" aria-label="source (\d+)">\[(\d+)\]</a>', safety)
    items = guide.data["safety"]
    expected = [i["source"] for name in ("boxed_warning", "contraindications", "warnings", "pregnancy_lactation",
                                         "interactions", "monitoring") for i in items[name]]  # fmt: skip
    assert [key for key, _, _ in links] == expected
    assert all(int(a) == int(b) == numbers[key] for key, a, b in links)
    source = body[body.index('<li id="src-zepbound-hcp">') :]
    assert "Checked 2026-11-29." in source[: source.index("</li>")]


def test_a_guide_whose_boxed_warning_was_removed_says_none_and_keeps_the_warning(client):
    safety = visible_text(section(page(client, "testosterone-enanthate"), "safety"))
    assert "Boxed warning: none in the label checked." in safety
    assert "Xyosted can raise blood pressure" in safety and "section 5.4" in safety


def test_the_guide_page_shows_no_ledger_or_field_jargon_outside_how_the_numbers_were_derived(client):
    for slug in SLUGS:
        body = page(client, slug)
        main = body[body.index("<main") : body.index("</main>")]
        assert "min_interval_hours" not in main and "max_single_dose" not in main and "pk_note" not in main, slug
        readable = visible_text(re.sub(r'<details class="derived">.*?</details>', " ", main, flags=re.S))
        assert "COMPUTED" not in readable, slug
        assert "min gap" not in readable, slug
        assert not re.search(r"\b\d+(\.\d+)? h\b", readable), (slug, re.findall(r".{30}\b\d+ h\b.{10}", readable))


def test_limits_read_in_days_and_weeks(client):
    meso = visible_text(section(page(client, "dutasteride-mesotherapy"), "framework"))
    assert "At least 1 week between doses" in meso
    sema = visible_text(section(page(client, "semaglutide"), "framework"))
    assert "At least 2 days between doses" in sema and "At most 2 mg per dose" in sema
    minox = visible_text(section(page(client, "minoxidil-topical"), "framework"))
    assert "At most 2 mL in a day" in minox


def test_the_derived_notes_sit_behind_a_details_toggle(client):
    body = page(client, "dutasteride-mesotherapy")
    derived = re.findall(r'<details class="derived"><summary>How these numbers were derived', body)
    assert len(derived) == 3
    assert "Our arithmetic:" in body  # still there for whoever opens it, in words ("COMPUTED:" in the guide file)
    assert "COMPUTED" not in body


def test_the_regimen_rows_show_sites_courses_optional_steps_and_missed_doses(client):
    meso = visible_text(section(page(client, "dutasteride-mesotherapy"), "framework"))
    assert "7 sessions, at weeks 0, 1, 2, 3, 5, 7, 11" in meso
    assert "Each session treats all of: frontal hairline" in meso
    sema = page(client, "semaglutide")
    row = sema[sema.index('<tr id="regimen-ozempic-weekly-ladder">') :]
    row = row[: row.index("</tr>")]
    assert row.count('<span class="badge optional">optional</span>') == 2
    row = visible_text(row)
    assert "if more glycaemic control is needed" in row
    assert "Missed dose:" in row and "(up to 5 days late)" in row
    xyosted = page(client, "testosterone-enanthate")
    row = xyosted[xyosted.index('<tr id="regimen-xyosted-75-mg-weekly">') :]
    assert "one per dose in rotation: abdomen left, abdomen right" in visible_text(row[: row.index("</tr>")])


def test_pharmacokinetics_are_shown_per_regimen_or_say_why_not(client):
    meso = visible_text(section(page(client, "dutasteride-mesotherapy"), "pk"))
    assert meso.count("no curve.") == 3 and "half-life about" not in meso
    tirz = visible_text(section(page(client, "tirzepatide"), "pk"))
    assert "half-life about 5 days" in tirz and "peak about 1 day after a dose" in tirz and "80 %" in tirz


def test_cells_carry_labels_for_the_stacked_phone_layout_and_the_css_stacks_under_600px(client):
    row = page(client, "semaglutide")
    for label in ("Dose", "How often", "Limits", "Sources"):
        assert f'<td data-label="{label}">' in row
    css = CSS.read_text()
    block = css[css.index("/* guides: safety block */") :]
    assert "@media (max-width: 600px)" in block and "display: block" in block
    assert "min-height: 44px" in block and "a.cite-link" in block


# --- the short partial ---------------------------------------------------------------------------------


def test_the_short_safety_partial_shows_boxed_warning_contraindications_and_links_the_full_section():
    guide = Guide.objects.get(slug="semaglutide")
    out = render_to_string("guides/_safety_short.html", {"guide": guide})
    text = visible_text(out)
    assert out.index("Boxed warning") < out.index("Who must not use it")
    assert "thyroid C-cell" in text and "MEN 2" in text
    assert re.search(r'<a class="safety-link" href="/guides/semaglutide/#safety">Full safety information', out)
    assert "Warnings and precautions" not in text  # the short form only


def test_the_short_partial_says_none_when_the_label_has_no_boxed_warning():
    out = render_to_string("guides/_safety_short.html", {"guide": Guide.objects.get(slug="testosterone-cypionate")})
    assert "Boxed warning:</strong> none in the label checked." in out and 'class="boxed-warning"' not in out
    assert "breast cancer" in visible_text(out)


# --- the API -------------------------------------------------------------------------------------------


def test_the_guide_api_returns_safety_and_the_per_regimen_fields(client):
    body = client.get("/api/v1/guides/semaglutide").json()
    assert body["route"] == "subcutaneous"
    assert body["safety"]["boxed_warning"][0]["source"] == "wegovy-fda-label"
    assert set(body["safety"]) == {"boxed_warning", "contraindications", "warnings", "pregnancy_lactation",
                                   "interactions", "monitoring"}  # fmt: skip
    regimens = {r["key"]: r for r in body["regimens"]}
    ozempic = regimens["ozempic-weekly-ladder"]
    assert {"key", "label", "dose", "unit", "route", "interval", "ladder", "course", "limits", "sources",
            "notes"} <= set(ozempic)  # fmt: skip
    assert [s["optional"] for s in ozempic["ladder"]] == [False, False, True, True]
    assert ozempic["missed_dose"]["max_gap_hours"] == 120
    assert ozempic["sites_mode"] == "rotate" and "left thigh" in ozempic["sites"]
    assert ozempic["pk"]["half_life_hours"] == 168 and ozempic["pk_note"] is None
    assert body["sites"] == ozempic["sites"]  # the guide-level list is the union of the regimens' sites


def test_the_api_gives_course_weeks_site_mode_and_the_reason_for_no_pk(client):
    body = client.get("/api/v1/guides/dutasteride-mesotherapy").json()
    course = next(r for r in body["regimens"] if r["key"] == "weekly-course-1-mg-7-sessions")
    assert course["course"]["offsets_weeks"] == [0, 1, 2, 3, 5, 7, 11]
    assert course["sites_mode"] == "all" and course["pk"] is None and course["pk_note"]
    assert body["safety"]["boxed_warning"] == "none"


# --- a protocol started from a guide takes the regimen's sites ----------------------------------------


def test_a_protocol_from_xyosted_takes_abdomen_sites_and_one_from_tirzepatide_keeps_its_ladder(alice_api):
    xy = alice_api.post("/api/v1/protocols", {"guide": "testosterone-enanthate", "regimen": "xyosted-75-mg-weekly"})
    assert xy.status_code == 201, xy.content
    assert xy.json()["sites"] == ["abdomen left", "abdomen right"]
    tz = alice_api.post("/api/v1/protocols", {"guide": "tirzepatide", "regimen": "weekly-ladder-2-5-to-15-mg"})
    assert tz.status_code == 201, tz.content
    assert [s["dose"] for s in tz.json()["ladder"]] == ["2.5", "5", "7.5", "10", "12.5", "15"]
    assert Protocol.objects.count() == 2
