"""Issue 4 through Django's test client: side effects (quick picks from the guide, severity, ending an ongoing one
by a correction, filters, days after the last dose) and metrics (preferred units, canonical storage, refused and
unusual values, labs after a dose, custom types, one-tap buttons on the protocol page, voiding), and ownership.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from shotlee.accounts.models import Profile
from shotlee.guides.loader import load_guides
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry
from shotlee.metrics.models import MetricType
from shotlee.symptoms.services import side_effects
from tests.conftest import make_protocol, make_user

SEVERITY_MESSAGE = "must be a whole number from 0 (none) to 10 (worst imaginable)"


@pytest.fixture(autouse=True)
def guides(db):
    load_guides()


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def meso(alice_api) -> dict:
    """A protocol started from the dutasteride mesotherapy guide (quarterly 0.1 mg)."""
    response = alice_api.post("/api/v1/protocols", {"guide": "dutasteride-mesotherapy", "regimen": "quarterly-0-1-mg"})
    assert response.status_code == 201, response.content
    return response.json()


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def local(at: datetime) -> str:
    """A datetime-local value; alice's time zone is UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def list_items(response, kind: str) -> list[str]:
    """The text of each entry in a side-effect or metric list, in page order."""
    page = response.content.decode()
    chunks = re.findall(rf'<li class="entry kind-{kind}".*?</li>', page, flags=re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c))).strip() for c in chunks]


def form_id(response) -> str:
    found = re.search(r'name="client_entry_id" value="([0-9a-f-]{36})"', response.content.decode())
    assert found, "the form has no client_entry_id"
    return found.group(1)


def log_side_effect(web: Client, **fields: str):
    form = web.get("/side-effects/log/" + (f"?protocol={fields['protocol']}" if fields.get("protocol") else ""))
    assert form.status_code == 200
    post = {
        "client_entry_id": form_id(form),
        "started_at": local(datetime.now(UTC)),
        "symptom": "",
        "other": "",
        "severity": "",
    }
    return web.post("/side-effects/log/", {**post, **fields})


def log_metric(web: Client, key: str, **fields: str):
    form = web.get(f"/metrics/log/?type={key}")
    assert form.status_code == 200
    post = {
        "type": key,
        "client_entry_id": form_id(form),
        "measured_at": local(datetime.now(UTC)),
        "value2": "",
        "note": "",
        "protocol": "",
    }
    return web.post("/metrics/log/", {**post, **fields})


def metrics_count() -> int:
    return Entry.objects.filter(kind="metric").count()


# Side effects


def test_the_quick_picks_start_with_the_guide_side_effects_and_the_severity_scale_has_anchors(web, meso):
    page = web.get(f"/side-effects/log/?protocol={meso['id']}")
    assert page.status_code == 200
    picks = re.findall(r'<input type="radio" name="symptom" value="([^"]*)"', page.content.decode())
    guide = Guide.objects.get(slug="dutasteride-mesotherapy").data["side_effects"]
    assert picks[: len(guide)] == guide
    assert picks[0] == "injection pain" and "scalp redness" in picks
    assert {"lump", "redness", "nausea"} <= set(picks) and len(picks) == len({p.casefold() for p in picks})
    severities = re.findall(r'<input type="radio" name="severity" value="(\d+)"', page.content.decode())
    assert severities == [str(n) for n in range(11)]
    body = text(page)
    assert "0 none" in body and "10 worst imaginable" in body and "7 severe, limits daily activities" in body
    # The zones of the protocol are offered for site reactions.
    assert '<option value="frontal hairline"' in page.content.decode()


def test_a_side_effect_from_a_quick_pick_with_a_severity_is_recorded_and_listed(web, meso):
    response = log_side_effect(web, protocol=meso["id"], symptom="injection pain", severity="6", site="vertex/crown")
    assert response.status_code == 302 and response["Location"] == "/side-effects/?recorded=1"
    [effect] = Entry.objects.filter(kind="side_effect")
    assert (
        effect.data["symptom"] == "injection pain" and effect.data["severity"] == 6 and effect.data["ended_at"] is None
    )
    assert str(effect.subject) == meso["id"] and effect.data["site"] == "vertex/crown"
    listed = web.get(response["Location"])
    assert "Side effect recorded." in text(listed)
    [item] = list_items(listed, "side_effect")
    assert "injection pain" in item and "severity 6/10" in item and "ongoing" in item
    assert "Dutasteride mesotherapy" in item and "vertex/crown" in item


def test_free_text_other_wins_over_a_quick_pick(web, meso):
    response = log_side_effect(web, protocol=meso["id"], symptom="headache", other="Itchy scalp", severity="3")
    assert response.status_code == 302
    [effect] = Entry.objects.filter(kind="side_effect")
    assert effect.data["symptom"] == "Itchy scalp" and effect.compound == "itchy scalp"


def test_a_missing_severity_is_refused_with_the_message_and_nothing_is_recorded(web, meso):
    response = log_side_effect(web, protocol=meso["id"], symptom="headache", severity="")
    assert response.status_code == 422
    assert SEVERITY_MESSAGE in text(response)
    assert not Entry.objects.filter(kind="side_effect").exists()
    # What was chosen stays chosen, so the person only adds the severity.
    assert re.search(r'name="symptom" value="headache" checked', response.content.decode())


def test_an_ongoing_side_effect_is_ended_through_the_correct_page(web, alice, meso):
    started = minute(datetime.now(UTC) - timedelta(hours=5))
    assert (
        log_side_effect(
            web, protocol=meso["id"], symptom="scalp redness", severity="2", started_at=local(started)
        ).status_code
        == 302
    )
    original = Entry.objects.get(kind="side_effect")
    url = f"/history/{original.uid}/correct/"
    page = web.get(url)
    assert page.status_code == 200 and re.search(r'name="action" value="correct" checked', page.content.decode())
    ended = minute(datetime.now(UTC) - timedelta(hours=1))
    refused = web.post(url, {"action": "correct", "reason": "", "ended_at": local(ended), "severity": "2"})
    assert refused.status_code == 422 and "Say why" in text(refused)
    assert Entry.objects.filter(kind="side_effect").count() == 1
    response = web.post(url, {"action": "correct", "reason": "it faded", "ended_at": local(ended), "severity": "2"})
    assert response.status_code == 302 and response["Location"] == "/side-effects/"
    correction = Entry.objects.filter(kind="side_effect").order_by("-seq").first()
    assert correction.target_seq == original.seq and correction.data["reason"] == "it faded"
    assert correction.occurred_at == started and correction.data["symptom"] == "scalp redness"
    effective = list(side_effects(alice))
    assert [e.seq for e in effective] == [correction.seq]
    [item] = list_items(web.get("/side-effects/"), "side_effect")
    assert f"ended {ended:%a} {ended.day} {ended:%b %Y}" in item and "ongoing" not in item
    assert "Mark ended" not in item


def test_an_end_before_the_start_is_refused_on_the_correct_page(web, meso):
    started = minute(datetime.now(UTC) - timedelta(hours=2))
    log_side_effect(web, symptom="headache", severity="4", started_at=local(started))
    original = Entry.objects.get(kind="side_effect")
    response = web.post(
        f"/history/{original.uid}/correct/",
        {"action": "correct", "reason": "typo", "ended_at": local(started - timedelta(hours=1)), "severity": "4"},
    )
    assert response.status_code == 422 and "is before the start" in text(response)
    assert Entry.objects.filter(kind="side_effect").count() == 1


def test_side_effects_filter_by_protocol_symptom_and_period(web, alice_api, meso):
    other = make_protocol(alice_api, name="Sema")
    now = datetime.now(UTC)
    for protocol, symptom, days in [
        (meso, "headache", 2),
        (other, "Nausea", 40),
        (other, "Headache", 100),
        (meso, "scalp redness", 200),
    ]:
        response = log_side_effect(
            web, protocol=protocol["id"], symptom=symptom, severity="3", started_at=local(now - timedelta(days=days))
        )
        assert response.status_code == 302, text(response)

    def symptoms(query: str) -> list[str]:
        items = list_items(web.get("/side-effects/" + query), "side_effect")
        return [re.search(r"^\s*(.+?) severity", item).group(1) for item in items]

    assert symptoms("") == ["headache", "Nausea", "Headache", "scalp redness"]
    assert symptoms(f"?protocol={meso['id']}") == ["headache", "scalp redness"]
    assert symptoms(f"?protocol={other['id']}") == ["Nausea", "Headache"]
    assert symptoms("?symptom=HEADACHE") == ["headache", "Headache"]
    assert symptoms("?period=30") == ["headache"]
    assert symptoms("?period=90") == ["headache", "Nausea"]
    assert symptoms(f"?protocol={other['id']}&symptom=headache&period=365") == ["Headache"]
    assert symptoms("?symptom=dizziness") == []
    assert "match these filters" in text(web.get("/side-effects/?symptom=dizziness"))


def test_each_side_effect_shows_the_days_after_the_last_dose(web, alice_api, meso):
    now = datetime.now(UTC)
    dosed = alice_api.post(
        "/api/v1/doses", {"protocol": meso["id"], "amount": "0.1", "occurred_at": (now - timedelta(days=3)).isoformat()}
    )
    assert dosed.status_code == 201, dosed.content
    log_side_effect(
        web, protocol=meso["id"], symptom="headache", severity="4", started_at=local(now - timedelta(hours=1))
    )
    log_side_effect(
        web, protocol=meso["id"], symptom="bruising", severity="1", started_at=local(now - timedelta(days=4))
    )
    newest, oldest = list_items(web.get("/side-effects/"), "side_effect")
    assert "headache" in newest and "2 days after the last dose" in newest
    assert "bruising" in oldest and "no dose before it" in oldest


# Metrics


def set_units(web: Client, **units: str):
    return web.post("/accounts/settings/", {"form": "units", **{f"unit-{k}": v for k, v in units.items()}})


def test_preferred_units_are_saved_in_settings(web, alice):
    response = set_units(web, weight="lb", glucose="mg/dL", waist="furlong")
    assert response.status_code == 302 and response["Location"].endswith("/accounts/settings/#units")
    assert json.loads(Profile.objects.get(user=alice).units) == {"weight": "lb", "glucose": "mg/dL"}
    page = web.get("/accounts/settings/").content.decode()
    assert re.search(r'name="unit-weight">.*?<option value="lb" selected>', page, flags=re.S)
    assert re.search(r'name="unit-glucose">.*?<option value="mg/dL" selected>', page, flags=re.S)
    assert re.search(r'name="unit-waist"><option value="cm" selected>', page)


def test_weight_and_glucose_in_preferred_units_are_stored_canonically_and_shown_back(web):
    set_units(web, weight="lb", glucose="mg/dL")
    form = web.get("/metrics/log/?type=weight").content.decode()
    assert '<option value="lb" selected>' in form
    assert log_metric(web, "weight", value="176.4", unit="lb").status_code == 302
    assert log_metric(web, "glucose", value="99", unit="mg/dL").status_code == 302
    weight = Entry.objects.get(kind="metric", compound="weight")
    glucose = Entry.objects.get(kind="metric", compound="glucose")
    assert weight.unit == "kg" and Decimal(weight.data["value"]) == (Decimal("176.4") * Decimal("0.45359237")).quantize(
        Decimal("0.000001")
    )
    assert glucose.unit == "mmol/L" and Decimal(glucose.data["value"]) == (Decimal(99) / Decimal("18.016")).quantize(
        Decimal("0.000001")
    )
    assert weight.data["entered"] == {"value": "176.4", "unit": "lb"}
    items = list_items(web.get("/metrics/"), "metric")
    shown = {m.group(1): (m.group(2), m.group(3)) for m in (re.search(r"^(\w+): ([\d.]+) (\S+)", i) for i in items)}
    # Back in the preferred unit, rounded to what was typed: no 176.39999 or 98.99 from the round trip.
    assert shown["Weight"] == ("176.4", "lb")
    assert shown["Glucose"][1] == "mg/dL" and Decimal(shown["Glucose"][0]) == Decimal(99)
    # Switching back to the canonical units shows the stored values, rounded.
    set_units(web, weight="kg", glucose="mmol/L")
    items = " | ".join(list_items(web.get("/metrics/"), "metric"))
    assert "Weight: 80.0 kg" in items and "Glucose: 5.5 mmol/L" in items


@pytest.mark.parametrize(
    ("key", "fields", "messages"),
    [
        (
            "weight",
            {"value": "900", "unit": "kg"},
            ["Weight of 900.0 kg is not possible; readings are between 20 and 400 kg"],
        ),
        ("weight", {"value": "-70", "unit": "kg"}, ["Weight of -70.0 kg is not possible"]),
        (
            "blood_pressure",
            {"value": "20", "value2": "300", "unit": "mmHg"},
            ["Systolic pressure of 20 mmHg is not possible; readings are between 30 and 300 mmHg"],
        ),
        (
            "blood_pressure",
            {"value": "80", "value2": "120", "unit": "mmHg"},
            ["the diastolic (lower) number must be below the systolic"],
        ),
        ("weight", {"value": "seventy", "unit": "kg"}, ["'seventy' is not a number"]),
    ],
)
def test_an_implausible_value_is_refused_with_the_specific_message_and_nothing_recorded(web, key, fields, messages):
    response = log_metric(web, key, **fields)
    assert response.status_code == 422
    body = text(response)
    for message in messages:
        assert message in body
    assert metrics_count() == 0
    # The typed value stays in the form.
    assert f'value="{fields["value"]}"' in response.content.decode()


def test_an_unusual_blood_pressure_is_recorded_and_flagged_unusual(web):
    response = log_metric(web, "blood_pressure", value="190", value2="110", unit="mmHg")
    assert response.status_code == 302 and response["Location"] == "/metrics/?recorded=1&unusual=1"
    [reading] = Entry.objects.filter(kind="metric")
    assert (reading.data["value"], reading.data["value2"]) == ("190", "110")
    assert reading.data["warnings"] == [
        "Systolic pressure of 190 mmHg is unusual (typical 70–180 mmHg); please double-check it.",
        "Diastolic pressure of 110 mmHg is unusual (typical 50–100 mmHg); please double-check it.",
    ]
    listed = web.get(response["Location"])
    assert "It is unusual: the warning is kept with it." in text(listed)
    [item] = list_items(listed, "metric")
    assert (
        "Blood pressure: 190/110 mmHg" in item
        and "unusual" in item
        and "Systolic pressure of 190 mmHg is unusual" in item
    )


def test_a_usual_reading_has_no_unusual_flag(web):
    response = log_metric(web, "blood_pressure", value="120", value2="80", unit="mmHg")
    assert response["Location"] == "/metrics/?recorded=1"
    [item] = list_items(web.get("/metrics/"), "metric")
    assert "120/80 mmHg" in item and "unusual" not in item


def test_a_lab_after_a_dose_shows_the_hours_after_the_last_dose(web, alice_api, meso):
    dosed_at = minute(datetime.now(UTC) - timedelta(days=3))
    dosed = alice_api.post(
        "/api/v1/doses", {"protocol": meso["id"], "amount": "0.1", "occurred_at": dosed_at.isoformat()}
    )
    assert dosed.status_code == 201, dosed.content
    drawn = dosed_at + timedelta(hours=36, minutes=30)
    response = log_metric(web, "testosterone_total", value="650", unit="ng/dL", measured_at=local(drawn))
    assert response.status_code == 302
    reading = Entry.objects.get(kind="metric")
    assert reading.data["lab"] is True and reading.unit == "nmol/L" and reading.occurred_at == drawn
    assert reading.data["since_last_dose"] == [
        {"protocol": meso["id"], "name": "Dutasteride mesotherapy", "hours": "36.5"}
    ]
    [item] = list_items(web.get("/metrics/"), "metric")
    assert "Total testosterone:" in item and "lab" in item
    assert "1 day and 12 hours after the last Dutasteride mesotherapy dose" in item
    # A lab drawn before any dose has no such line; a weight (not a lab) never has one.
    log_metric(web, "weight", value="80", unit="kg")
    weight = Entry.objects.get(kind="metric", compound="weight")
    assert weight.data["since_last_dose"] == []


def test_a_custom_metric_type_is_created_and_logged(web, alice):
    created = web.post(
        "/metrics/types/", {"name": "Hair count (vertex)", "unit": "hairs/cm²", "min": "0", "max": "400"}
    )
    assert created.status_code == 302 and created["Location"] == "/metrics/types/"
    custom = MetricType.objects.get(user=alice)
    page = text(web.get("/metrics/types/"))
    assert "Hair count (vertex) (hairs/cm²)" in page
    assert f"/metrics/log/?type={custom.key}" in web.get("/metrics/types/").content.decode()
    duplicate = web.post("/metrics/types/", {"name": "Hair count (vertex)", "unit": "n", "min": "", "max": ""})
    assert duplicate.status_code == 422 and "you already have a metric type with this name" in text(duplicate)
    backwards = web.post("/metrics/types/", {"name": "Other", "unit": "n", "min": "5", "max": "1"})
    assert backwards.status_code == 422 and "must be above the minimum" in text(backwards)
    assert MetricType.objects.filter(user=alice).count() == 1

    form = web.get(f"/metrics/log/?type={custom.key}")
    assert form.status_code == 200 and "Log hair count (vertex)" in text(form)
    too_many = log_metric(web, custom.key, value="900", unit="hairs/cm²")
    assert too_many.status_code == 422 and "Hair count (vertex) must be between 0 and 400 hairs/cm²" in text(too_many)
    assert metrics_count() == 0
    assert log_metric(web, custom.key, value="182", unit="hairs/cm²").status_code == 302
    reading = Entry.objects.get(kind="metric")
    assert reading.compound == custom.key and reading.data["value"] == "182"
    [item] = list_items(web.get(f"/metrics/?type={custom.key}"), "metric")
    assert "Hair count (vertex): 182 hairs/cm²" in item


def test_the_protocol_page_of_a_guide_protocol_has_one_tap_metric_buttons(web, alice_api, meso):
    page = web.get(f"/protocols/{meso['id']}/")
    assert page.status_code == 200 and "Metrics to monitor" in text(page)
    links = re.findall(r'href="/metrics/log/\?type=([a-z_:0-9-]+)&amp;protocol=([0-9a-f-]{36})"', page.content.decode())
    assert [key for key, _ in links] == ["dht", "testosterone_total", "psa"]
    assert {protocol for _, protocol in links} == {meso["id"]}
    # Metrics without a built-in type are named, not buttons.
    assert "Hair photos per zone" in text(page) and "Semen analysis" in text(page)
    # One tap opens the form for that type, tied to the protocol.
    form = web.get(f"/metrics/log/?type=psa&protocol={meso['id']}")
    assert form.status_code == 200 and "Log PSA" in text(form)
    assert f'name="protocol" value="{meso["id"]}"' in form.content.decode()
    response = log_metric(web, "psa", value="0.8", unit="ng/mL", protocol=meso["id"])
    assert response.status_code == 302
    assert str(Entry.objects.get(kind="metric").subject) == meso["id"]
    # A protocol typed by hand has no guide, so no such section.
    plain = make_protocol(alice_api, name="Sema")
    assert "Metrics to monitor" not in text(web.get(f"/protocols/{plain['id']}/"))


def test_a_metric_is_voided_through_the_correct_page(web, alice):
    log_metric(web, "weight", value="81.5", unit="kg")
    log_metric(web, "resting_hr", value="62", unit="bpm")
    reading = Entry.objects.get(kind="metric", compound="weight")
    url = f"/history/{reading.uid}/correct/"
    page = web.get(url)
    assert page.status_code == 200 and re.search(r'name="action" value="void" checked', page.content.decode())
    assert "Weight: 81.5 kg" in text(page)
    response = web.post(
        url, {"action": "void", "reason": "scale was not zeroed", "value": "81.5", "unit": "kg", "value2": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/metrics/"
    void = Entry.objects.filter(user=alice).order_by("-seq").first()
    assert void.kind == "void" and void.target_seq == reading.seq
    items = list_items(web.get("/metrics/"), "metric")
    assert len(items) == 1 and "Resting heart rate: 62 bpm" in items[0]
    again = web.post(url, {"action": "void", "reason": "twice", "value": "81.5", "unit": "kg", "value2": ""})
    assert again.status_code == 422
    assert Entry.objects.filter(kind="void").count() == 1


def test_a_metric_value_is_corrected_in_the_unit_it_was_entered_in(web):
    set_units(web, weight="lb")
    log_metric(web, "weight", value="176.4", unit="lb")
    reading = Entry.objects.get(kind="metric")
    page = web.get(f"/history/{reading.uid}/correct/").content.decode()
    assert 'name="value" inputmode="decimal" value="176.4"' in page and 'name="unit" value="lb"' in page
    response = web.post(
        f"/history/{reading.uid}/correct/",
        {"action": "correct", "reason": "misread", "value": "174.2", "unit": "lb", "value2": ""},
    )
    assert response.status_code == 302
    correction = Entry.objects.filter(kind="metric").order_by("-seq").first()
    assert correction.target_seq == reading.seq
    assert Decimal(correction.data["value"]) == (Decimal("174.2") * Decimal("0.45359237")).quantize(Decimal("0.000001"))
    [item] = list_items(web.get("/metrics/"), "metric")
    assert "Weight: 174.2 lb" in item


# Ownership


def test_bob_gets_404_on_alices_correct_pages_for_her_side_effect_and_her_reading(web, alice, bob, meso):
    log_side_effect(web, protocol=meso["id"], symptom="headache", severity="5")
    log_metric(web, "weight", value="70", unit="kg")
    effect = Entry.objects.get(user=alice, kind="side_effect")
    reading = Entry.objects.get(user=alice, kind="metric")
    intruder = Client()
    intruder.force_login(bob)
    before = Entry.objects.count()
    for target in (effect, reading):
        url = f"/history/{target.uid}/correct/"
        assert intruder.get(url).status_code == 404
        posted = intruder.post(
            url,
            {
                "action": "void",
                "reason": "mine now",
                "ended_at": "",
                "severity": "0",
                "value": "1",
                "unit": "kg",
                "value2": "",
            },
        )
        assert posted.status_code == 404
    assert Entry.objects.count() == before
    assert list_items(intruder.get("/side-effects/"), "side_effect") == []
    assert list_items(intruder.get("/metrics/"), "metric") == []
    # Nor can bob log against alice's protocol.
    assert intruder.get(f"/side-effects/log/?protocol={meso['id']}").status_code == 404
    # An unknown record is a 404 too, for alice.
    assert web.get(f"/history/{uuid.uuid4()}/correct/").status_code == 404


def test_a_lab_drawn_between_two_doses_counts_the_hours_from_the_dose_before_the_draw(web, alice_api, meso):
    first = minute(datetime.now(UTC) - timedelta(days=10))
    second = minute(datetime.now(UTC) - timedelta(days=1))
    for at in (first, second):
        assert (
            alice_api.post(
                "/api/v1/doses",
                {
                    "protocol": meso["id"],
                    "amount": "0.1",
                    "occurred_at": at.isoformat(),
                    "acknowledge": ["off_schedule"],
                },
            ).status_code
            == 201
        )
    # Back-filled from a lab report: drawn 48 h after the first dose, before the second was taken.
    response = log_metric(
        web, "testosterone_total", value="20", unit="nmol/L", measured_at=local(first + timedelta(hours=48))
    )
    assert response.status_code == 302
    reading = Entry.objects.get(kind="metric")
    assert reading.data["since_last_dose"] == [
        {"protocol": meso["id"], "name": "Dutasteride mesotherapy", "hours": "48"}
    ]


def test_the_end_of_a_side_effect_is_shown_on_the_persons_own_date(db):
    kiri = make_user("kiri", "Pacific/Auckland")
    client = Client()
    client.force_login(kiri)
    tz = ZoneInfo("Pacific/Auckland")
    today = datetime.now(tz).date()
    ended_local = datetime(today.year, today.month, today.day, 8, 0, tzinfo=tz) - timedelta(days=3)
    started_local = ended_local - timedelta(days=1)
    form = client.get("/side-effects/log/")
    posted = client.post(
        "/side-effects/log/",
        {
            "client_entry_id": form_id(form),
            "symptom": "headache",
            "other": "",
            "severity": "3",
            "started_at": started_local.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": ended_local.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert posted.status_code == 302, text(posted)
    [item] = list_items(client.get("/side-effects/"), "side_effect")
    utc_day = ended_local.astimezone(UTC).date()
    assert utc_day != ended_local.date()
    assert f"ended {utc_day:%Y-%m-%d}" not in item, item
    assert re.search(
        rf"ended ({ended_local:%Y-%m-%d}|(\w+ )?{ended_local.day} {ended_local:%b} {ended_local.year})", item
    ), item
