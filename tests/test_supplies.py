"""Supplies through the API and pages: reconstitution, doses in syringe units, FIFO, losses, discards, both rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from tests.conftest import make_protocol

NOW = datetime.now(UTC)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def add(api, **values):
    body = {"compound": "semaglutide", "form": "vial", **values}
    response = api.post("/api/v1/supplies", body)
    assert response.status_code == 201, response.content
    return response.json()


def dose(api, protocol, days_ago, **values):
    body = {"protocol": protocol["id"], "occurred_at": at(days_ago), "acknowledge": ["off_schedule"], **values}
    return api.post("/api/v1/doses", body)


def supply(api, uid):
    response = api.get(f"/api/v1/supplies/{uid}")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def weekly(alice_api):
    return make_protocol(alice_api, min_interval_hours=None)


def test_reconstitute_then_log_in_syringe_units_converts_records_both_and_deducts(alice_api, weekly):
    vial = add(alice_api, powder="5", lot="A12", expires_on=(date.today() + timedelta(days=90)).isoformat())
    assert vial["strength_text"] == "5 mg powder, not yet reconstituted" and vial["remaining"] == "5"
    mixed = alice_api.post(f"/api/v1/supplies/{vial['id']}/reconstitute", {"diluent": "2"})
    assert mixed.status_code == 201, mixed.content
    assert mixed.json()["concentration"] == "2.5 mg/mL" and mixed.json()["opened_on"] == date.today().isoformat()

    recorded = dose(alice_api, weekly, 14, amount=10, unit="syringe_units", supply=vial["id"])
    assert recorded.status_code == 201, recorded.content
    body = recorded.json()
    assert (body["amount"], body["unit"]) == ("0.25", "mg")
    assert (body["entered_amount"], body["entered_unit"], body["supply"]) == ("10", "syringe_units", vial["id"])
    ml = dose(alice_api, weekly, 7, amount="0.2", unit="mL", supply=vial["id"]).json()
    assert (ml["amount"], ml["entered_unit"]) == ("0.5", "mL")
    assert supply(alice_api, vial["id"])["remaining"] == "4.25"
    listed = alice_api.get("/api/v1/doses").json()["items"]
    assert {d["entered_unit"] for d in listed} == {"syringe_units", "mL"}

    events = alice_api.get(f"/api/v1/supplies/{vial['id']}/events").json()["items"]
    assert [e["event"] for e in events] == ["added", "reconstituted"]
    assert events[1]["calculation"] == "5 mg ÷ 2 mL = 2.5 mg/mL"
    again = alice_api.post(f"/api/v1/supplies/{vial['id']}/reconstitute", {"diluent": "1"})
    assert again.status_code == 422 and "already has a strength" in again.content.decode()


def test_voiding_a_dose_gives_its_amount_back(alice_api, weekly):
    vial = add(alice_api, strength="2.5", quantity="1", opened_on=date.today().isoformat())
    recorded = dose(alice_api, weekly, 7, amount="0.25", supply=vial["id"]).json()
    assert supply(alice_api, vial["id"])["remaining"] == "2.25"
    void = alice_api.post(f"/api/v1/entries/{recorded['id']}/corrections", {"action": "void", "reason": "test"})
    assert void.status_code == 201
    assert supply(alice_api, vial["id"])["remaining"] == "2.5"


def test_fifo_draws_from_the_open_vial_expiring_first(alice_api, weekly):
    today = date.today()
    later = add(
        alice_api, strength="2.5", quantity="1", opened_on=today.isoformat(), expires_on=str(today + timedelta(60))
    )
    sooner = add(
        alice_api, strength="2.5", quantity="1", opened_on=today.isoformat(), expires_on=str(today + timedelta(30))
    )
    unopened = add(alice_api, strength="2.5", quantity="1", expires_on=str(today + timedelta(10)))
    first = dose(alice_api, weekly, 14, amount="0.25").json()
    assert first["supply"] == sooner["id"]
    assert [supply(alice_api, s["id"])["remaining"] for s in (later, sooner, unopened)] == ["2.5", "2.25", "2.5"]
    # The sooner vial is lost and discarded: the next dose comes from the other open one.
    lost = alice_api.post(
        f"/api/v1/supplies/{sooner['id']}/events", {"action": "adjust", "amount": "0.5", "reason": "spilled"}
    )
    assert lost.status_code == 201 and lost.json()["remaining"] == "1"
    gone = alice_api.post(f"/api/v1/supplies/{sooner['id']}/events", {"action": "discard", "reason": "dropped"})
    assert gone.status_code == 201 and gone.json()["remaining"] == "0"
    second = dose(alice_api, weekly, 7, amount="0.25").json()
    assert second["supply"] == later["id"]
    refused = dose(alice_api, weekly, 1, amount="0.25", supply=sooner["id"])
    assert refused.status_code == 409 and "it was discarded" in refused.json()["warnings"][-1]["message"]
    events = alice_api.get(f"/api/v1/supplies/{sooner['id']}/events").json()["items"]
    assert [e["event"] for e in events] == ["added", "adjusted", "discarded"]
    assert events[1]["reason"] == "spilled" and events[1]["lost"] == "0.5"


def test_expired_and_insufficient_supply_warn_and_can_be_acknowledged(alice_api, weekly):
    old = add(alice_api, strength="0.25", quantity="1.5", expires_on=str(date.today() - timedelta(days=30)))
    first = dose(alice_api, weekly, 14, amount="0.25", supply=old["id"])
    assert first.status_code == 409
    assert [w["code"] for w in first.json()["warnings"]] == ["expired_supply"]
    first = dose(alice_api, weekly, 14, amount="0.25", supply=old["id"], acknowledge=["off_schedule", "expired_supply"])
    assert first.status_code == 201 and first.json()["warnings"][0]["code"] == "expired_supply"
    second = dose(alice_api, weekly, 7, amount="0.25", supply=old["id"], acknowledge=["off_schedule", "expired_supply"])
    assert second.status_code == 409
    assert [w["code"] for w in second.json()["warnings"]] == ["expired_supply", "insufficient_supply"]
    assert "only 0.125 mg left" in second.json()["warnings"][1]["message"]
    ack = ["off_schedule", "expired_supply", "insufficient_supply"]
    assert dose(alice_api, weekly, 7, amount="0.25", supply=old["id"], acknowledge=ack).status_code == 201
    assert supply(alice_api, old["id"])["remaining"] == "0"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"form": "vial"}, "strength", "is required"),
        ({"form": "vial", "strength": "0", "quantity": "1"}, "strength", "greater than zero"),
        ({"form": "pen", "powder": "5"}, "powder", "only a vial"),
        ({"form": "vial", "strength": "2", "quantity": "1", "beyond_use_days": 0}, "beyond_use_days", "from 1"),
        ({"form": "vial", "strength": "2", "quantity": "1", "opened_on": "2999-01-01"}, "opened_on", "future"),
    ],
)
def test_bad_supplies_are_refused_naming_the_field(alice_api, body, field, words):
    response = alice_api.post("/api/v1/supplies", {"compound": "semaglutide", **body})
    assert response.status_code == 422
    detail = {d["loc"][-1]: d["msg"] for d in response.json()["detail"]}
    assert words in detail[field]


def test_syringe_units_need_a_supply_and_a_powder_vial_needs_reconstituting(alice_api, weekly):
    no_supply = dose(alice_api, weekly, 1, amount=10, unit="syringe_units")
    assert no_supply.status_code == 422 and "need a supply" in no_supply.content.decode()
    powder = add(alice_api, powder="5")
    refused = dose(alice_api, weekly, 1, amount=10, unit="syringe_units", supply=powder["id"])
    assert refused.status_code == 422 and "reconstitute it first" in refused.content.decode()


def test_calculator_api_is_public_shows_the_arithmetic_and_refuses_impossible_input(db):
    client = Client()
    ok = client.get("/api/v1/calculator", {"amount": "0.25", "powder": "5", "diluent": "2"})
    assert ok.status_code == 200
    assert (ok.json()["mL"], ok.json()["syringe_units"]) == ("0.1", "10")
    assert ok.json()["steps"][0] == "5 mg ÷ 2 mL = 2.5 mg/mL"
    u40 = client.get(
        "/api/v1/calculator", {"amount": "10", "unit": "syringe_units", "strength": "2", "syringe": "U-40"}
    )
    assert u40.json()["mg"] == "0.5"
    for params, field in [
        ({"amount": "0", "strength": "2"}, "amount"),
        ({"amount": "1", "strength": "-2"}, "strength"),
        ({"amount": "5", "strength": "1"}, "amount"),  # 5 mL: more than a syringe holds
        ({"amount": "1"}, "strength"),
    ]:
        bad = client.get("/api/v1/calculator", params)
        assert bad.status_code == 422, params
        assert field in {d["loc"][-1] for d in bad.json()["detail"]}


def test_calculator_page_works_with_and_without_an_account(alice):
    anonymous = Client()
    page = anonymous.get("/supplies/calculator/", {"amount": "0.25", "strength": "2.5", "unit": "mg"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "0.25 mg</strong> = <strong>0.1 mL</strong> = <strong>10 units" in text and "<svg" in text
    assert anonymous.get("/supplies/calculator/").status_code == 200
    bad = anonymous.get("/supplies/calculator/", {"amount": "-1", "strength": "2.5"})
    assert bad.status_code == 422 and "greater than zero" in bad.content.decode()
    signed_in = Client()
    signed_in.force_login(alice)
    assert (
        signed_in.get("/supplies/calculator/", {"amount": "10", "unit": "syringe_units", "strength": "5"}).status_code
        == 200
    )
    assert anonymous.get("/supplies/").status_code == 302  # the rest is private


def test_supply_pages_add_reconstitute_adjust_and_discard(alice):
    client = Client()
    client.force_login(alice)
    added = client.post("/supplies/add/", {"compound": "Semaglutide", "form": "vial", "drug_unit": "mg", "powder": "5"})
    assert added.status_code == 302
    detail_url = added["Location"].split("?")[0]
    uid = detail_url.rstrip("/").split("/")[-1]
    preview = client.post(f"/supplies/{uid}/reconstitute/", {"powder": "5", "diluent": "2"})
    assert preview.status_code == 200 and "5 mg ÷ 2 mL = 2.5 mg/mL" in preview.content.decode()
    done = client.post(f"/supplies/{uid}/reconstitute/", {"powder": "5", "diluent": "2", "confirm": "1"})
    assert done.status_code == 302
    page = client.get(detail_url).content.decode()
    assert "2.5 mg/mL" in page and "5 mg (2 mL)" in page
    bad = client.post(f"/supplies/{uid}/adjust/", {"amount": "0.2"})
    assert bad.status_code == 422 and "say what happened" in bad.content.decode()
    assert client.post(f"/supplies/{uid}/adjust/", {"amount": "0.2", "reason": "spilled"}).status_code == 302
    assert "4.5 mg (1.8 mL)" in client.get(detail_url).content.decode()
    assert client.post(f"/supplies/{uid}/discard/", {"reason": "old"}).status_code == 302
    listing = client.get("/supplies/").content.decode()
    assert "0 mg" in listing


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_exports_carry_the_supply_records_and_the_dose_s_entered_amount(alice_api, weekly):
    import csv
    import io
    import json
    import zipfile

    vial = add(alice_api, powder="5", lot="L7")
    alice_api.post(f"/api/v1/supplies/{vial['id']}/reconstitute", {"diluent": "2"})
    assert dose(alice_api, weekly, 7, amount=10, unit="syringe_units", supply=vial["id"]).status_code == 201
    archive = zipfile.ZipFile(io.BytesIO(_body(alice_api.get("/api/v1/export.csv.zip"))))
    rows = list(csv.DictReader(io.StringIO(archive.read("supply.csv").decode())))
    assert [(r["event"], r["amount"], r["unit"]) for r in rows] == [("added", "", ""), ("reconstituted", "", "mL")]
    assert rows[1]["detail"] == "5 mg ÷ 2 mL = 2.5 mg/mL" and rows[0]["detail"] == "L7"
    exported = json.loads(_body(alice_api.get("/api/v1/export.json")))
    kinds = [e["kind"] for e in exported["entries"]]
    assert kinds.count("supply") == 2
    drawn = next(e for e in exported["entries"] if e["kind"] == "dose")
    assert drawn["payload"]["entered_unit"] == "syringe_units" and drawn["payload"]["supply"] == vial["id"]


def test_erasing_the_account_removes_its_supplies_and_draws(alice, alice_api, weekly):
    from shotlee.accounts.services import erase_account
    from shotlee.supplies.models import Draw, Supply

    vial = add(alice_api, strength="2.5", quantity="1")
    assert dose(alice_api, weekly, 7, amount="0.25", supply=vial["id"]).status_code == 201
    assert Supply.objects.filter(user=alice).count() == Draw.objects.filter(user=alice).count() == 1
    erase_account(alice)
    assert not Supply.objects.filter(user_id=alice.pk).exists() and not Draw.objects.filter(user_id=alice.pk).exists()


def test_the_dashboard_warns_of_low_and_expiring_supplies(alice, alice_api, weekly):
    soon = (date.today() + timedelta(days=3)).isoformat()
    add(alice_api, strength="0.25", quantity="1", lot="LOW", expires_on=soon)
    client = Client()
    client.force_login(alice)
    home = client.get("/").content.decode()
    assert 'id="supplies-heading"' in home
    assert "1 dose(s) left" in home
    assert f"usable until {date.fromisoformat(soon):%d %b %Y}" in home


def test_fifo_leaves_out_a_supply_whose_unit_does_not_convert_to_the_protocol_s(alice_api, weekly):
    add(alice_api, strength="100", quantity="1", drug_unit="IU", opened_on=date.today().isoformat())
    recorded = dose(alice_api, weekly, 7, amount="0.25")
    assert recorded.status_code == 201 and recorded.json()["supply"] is None
