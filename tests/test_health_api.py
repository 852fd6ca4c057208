"""Side effects, metrics and custom metric types through the API (issue 4)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shotlee.ledger.models import Entry
from tests.conftest import make_protocol

NOW = datetime.now(UTC)


def test_a_side_effect_is_a_ledger_record_with_days_since_the_last_dose(alice_api):
    protocol = make_protocol(alice_api)
    alice_api.post(
        "/api/v1/doses",
        {"protocol": protocol["id"], "amount": "0.25", "occurred_at": (NOW - timedelta(days=3)).isoformat()},
    )
    response = alice_api.post(
        "/api/v1/side-effects",
        {
            "symptom": "Headache",
            "severity": 4,
            "started_at": (NOW - timedelta(hours=1)).isoformat(),
            "protocol": protocol["id"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "side_effect" and body["severity"] == 4 and body["ended_at"] is None
    listed = alice_api.get("/api/v1/side-effects").json()["items"]
    assert [(e["symptom"], e["days_since_last_dose"]) for e in listed] == [("Headache", 2)]
    assert alice_api.get("/api/v1/ledger/verify").json()["ok"] is True


def test_an_ongoing_side_effect_is_ended_by_a_correction(alice_api):
    # Started before NOW (the module's import time): a start defaulting to the request's time would come after
    # NOW + 1 minute whenever the suite takes over a minute to reach this test.
    started = (NOW - timedelta(minutes=5)).isoformat()
    effect = alice_api.post(
        "/api/v1/side-effects", {"symptom": "scalp redness", "severity": 2, "started_at": started}
    ).json()
    ended = (NOW + timedelta(minutes=1)).isoformat()
    response = alice_api.post(
        f"/api/v1/entries/{effect['id']}/corrections", {"action": "correct", "reason": "it stopped", "ended_at": ended}
    )
    assert response.status_code == 201, response.content
    assert response.json()["ended_at"] is not None and response.json()["corrects_seq"] == effect["seq"]
    items = alice_api.get("/api/v1/side-effects").json()["items"]
    assert len(items) == 1 and items[0]["ended_at"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"symptom": "", "severity": 3}, "symptom"),
        ({"symptom": "x", "severity": 11}, "severity"),
        ({"symptom": "x", "severity": -1}, "severity"),
        ({"symptom": "x", "severity": 3, "started_at": (NOW + timedelta(hours=1)).isoformat()}, "started_at"),
        (
            {
                "symptom": "x",
                "severity": 3,
                "started_at": NOW.isoformat(),
                "ended_at": (NOW - timedelta(hours=1)).isoformat(),
            },
            "ended_at",
        ),
    ],
)
def test_invalid_side_effects_are_refused_with_the_field(alice_api, body, field):
    response = alice_api.post("/api/v1/side-effects", body)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Entry.objects.filter(kind="side_effect").exists()


def test_weight_in_pounds_is_stored_in_kilograms_exactly(alice_api):
    response = alice_api.post("/api/v1/metrics", {"type": "weight", "value": "176.4", "unit": "lb"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit"] == "kg" and Decimal(body["value"]) == (Decimal("176.4") * Decimal("0.45359237")).quantize(
        Decimal("0.000001")
    )
    assert body["entered"] == {"value": "176.4", "unit": "lb"}
    assert body["warnings"] == []


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"type": "weight", "value": "-70"}, "value", "not possible"),
        ({"type": "weight", "value": "900"}, "value", "not possible"),
        ({"type": "blood_pressure", "value": "20", "value2": "300"}, "value", "not possible"),
        ({"type": "blood_pressure", "value": "80", "value2": "120"}, "value2", "below the systolic"),
        ({"type": "weight", "value": "70", "unit": "stone"}, "unit", "measured in"),
        ({"type": "weight", "value": "NaN"}, "value", "finite"),
        ({"type": "heightish", "value": "1"}, "type", "unknown metric type"),
    ],
)
def test_implausible_readings_are_refused_with_a_specific_message(alice_api, body, field, text):
    response = alice_api.post("/api/v1/metrics", body)
    assert response.status_code == 422, response.content
    detail = {d["loc"][-1]: d["msg"] for d in response.json()["detail"]}
    assert text in detail[field]
    assert not Entry.objects.filter(kind="metric").exists()


def test_unusual_but_possible_values_are_kept_with_a_warning(alice_api):
    response = alice_api.post("/api/v1/metrics", {"type": "blood_pressure", "value": 190, "value2": 110})
    assert response.status_code == 201
    assert "unusual" in response.json()["warnings"][0]


def test_a_lab_reading_records_hours_since_the_last_dose(alice_api):
    protocol = make_protocol(
        alice_api, compound="testosterone cypionate", dose="100", route="intramuscular", max_single_dose="200"
    )
    alice_api.post(
        "/api/v1/doses",
        {"protocol": protocol["id"], "amount": "100", "occurred_at": (NOW - timedelta(hours=72)).isoformat()},
    )
    response = alice_api.post(
        "/api/v1/metrics",
        {"type": "testosterone_total", "value": "650", "unit": "ng/dL", "measured_at": NOW.isoformat()},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit"] == "nmol/L" and Decimal(body["value"]) == (Decimal(650) / Decimal("28.842")).quantize(
        Decimal("0.000001")
    )
    assert body["since_last_dose"][0]["hours"] == "72"


def test_metrics_filter_by_type_and_period(alice_api):
    for days, kg in [(10, "80"), (5, "79"), (1, "78")]:
        alice_api.post(
            "/api/v1/metrics", {"type": "weight", "value": kg, "measured_at": (NOW - timedelta(days=days)).isoformat()}
        )
    alice_api.post("/api/v1/metrics", {"type": "resting_hr", "value": 60})
    weights = alice_api.get(
        "/api/v1/metrics", {"type": "weight", "since": (NOW - timedelta(days=6)).isoformat()}
    ).json()["items"]
    assert [w["value"] for w in weights] == ["78", "79"]
    assert len(alice_api.get("/api/v1/metrics").json()["items"]) == 4


def test_custom_metric_types_belong_to_their_owner(alice_api, bob_api):
    created = alice_api.post(
        "/api/v1/metric-types", {"name": "Hair count (vertex)", "unit": "hairs/cm²", "min": 0, "max": 500}
    )
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    assert alice_api.post("/api/v1/metrics", {"type": key, "value": 180}).status_code == 201
    assert alice_api.post("/api/v1/metrics", {"type": key, "value": 900}).status_code == 422
    assert bob_api.post("/api/v1/metrics", {"type": key, "value": 180}).status_code == 404
    assert bob_api.get(f"/api/v1/metric-types/{created.json()['id']}").status_code == 404
    assert key not in str(bob_api.get("/api/v1/metric-types").content)
    duplicate = alice_api.post("/api/v1/metric-types", {"name": "Hair count (vertex)", "unit": "x"})
    assert duplicate.status_code == 422


def test_bob_gets_404_on_alice_s_side_effects_and_metrics(alice_api, bob_api):
    effect = alice_api.post("/api/v1/side-effects", {"symptom": "ALICE-CANARY", "severity": 1}).json()
    reading = alice_api.post("/api/v1/metrics", {"type": "weight", "value": 70, "note": "ALICE-CANARY"}).json()
    for target in (effect["id"], reading["id"]):
        assert (
            bob_api.post(f"/api/v1/entries/{target}/corrections", {"action": "void", "reason": "x"}).status_code == 404
        )
    assert b"ALICE-CANARY" not in bob_api.get("/api/v1/side-effects").content
    assert b"ALICE-CANARY" not in bob_api.get("/api/v1/metrics").content


def test_voiding_a_metric_takes_it_out_of_the_list(alice_api):
    reading = alice_api.post("/api/v1/metrics", {"type": "weight", "value": 70}).json()
    assert (
        alice_api.post(
            f"/api/v1/entries/{reading['id']}/corrections", {"action": "void", "reason": "scale error"}
        ).status_code
        == 201
    )
    assert alice_api.get("/api/v1/metrics").json()["items"] == []


def test_mixed_kinds_verify_and_a_tampered_metric_value_is_found(alice_api, alice):
    from django.db import connection

    from shotlee.ledger import triggers
    from shotlee.ledger.verify import verify_user

    protocol = make_protocol(alice_api)
    alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"})
    alice_api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 3})
    reading = alice_api.post("/api/v1/metrics", {"type": "weight", "value": "82.5"}).json()
    alice_api.post("/api/v1/metrics", {"type": "hba1c", "value": "48", "unit": "mmol/mol"})
    assert verify_user(alice.pk).ok
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL refuses to run with deferred FK checks pending
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_entry SET amount_micro = amount_micro - 1000000 WHERE seq = %s AND user_id = %s",
                [reading["seq"], alice.pk],
            )
        verdict = verify_user(alice.pk)
    finally:
        triggers.install(connection)
    assert not verdict.ok and verdict.first_bad_seq == reading["seq"]
