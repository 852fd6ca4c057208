"""T04: corrections are records; the original stays byte-identical and the effective view moves on."""

from datetime import UTC, datetime, timedelta

import pytest

from shotlee.ledger.models import Entry
from tests.conftest import make_protocol

T = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def snapshot(uid):
    e = Entry.objects.get(uid=uid)
    return (e.seq, e.kind, e.occurred_at, e.amount_micro, e.unit, e.payload, e.prev_hash, e.hash)


@pytest.fixture
def dose(alice_api):
    protocol = make_protocol(alice_api)
    response = alice_api.post(
        "/api/v1/doses",
        {"protocol": protocol["id"], "amount": "0.25", "occurred_at": T.isoformat(), "site": "abdomen left"},
    )
    assert response.status_code == 201
    return {**response.json(), "protocol": protocol}


def test_void_keeps_the_original_and_removes_it_from_the_effective_view(alice_api, dose):
    before = snapshot(dose["id"])
    response = alice_api.post(
        f"/api/v1/entries/{dose['id']}/corrections", {"action": "void", "reason": "logged the wrong day"}
    )
    assert response.status_code == 201, response.content
    void = response.json()
    assert void["kind"] == "void" and void["corrects_seq"] == dose["seq"] and void["reason"] == "logged the wrong day"
    assert snapshot(dose["id"]) == before
    assert alice_api.get("/api/v1/doses").json()["items"] == []
    flagged = alice_api.get("/api/v1/doses", {"include": "corrections"}).json()["items"]
    assert [(d["id"], d["status"], d["superseded_by_seq"]) for d in flagged] == [
        (dose["id"], "entered-in-error", void["seq"])
    ]
    assert alice_api.get("/api/v1/ledger/verify").json()["ok"] is True


def test_correct_supersedes_with_new_values_and_keeps_the_rest(alice_api, dose):
    before = snapshot(dose["id"])
    response = alice_api.post(
        f"/api/v1/entries/{dose['id']}/corrections", {"action": "correct", "reason": "it was 0.5", "amount": "0.5"}
    )
    assert response.status_code == 201, response.content
    fixed = response.json()
    assert fixed["kind"] == "dose" and fixed["amount"] == "0.5" and fixed["corrects_seq"] == dose["seq"]
    assert fixed["site"] == "abdomen left" and fixed["occurred_at"] == dose["occurred_at"]
    assert snapshot(dose["id"]) == before
    effective = alice_api.get("/api/v1/doses").json()["items"]
    assert [(d["id"], d["amount"]) for d in effective] == [(fixed["id"], "0.5")]


def test_a_voided_dose_stops_counting_for_the_rules(alice_api, dose):
    again = {"protocol": dose["protocol"]["id"], "amount": "0.25", "occurred_at": (T + timedelta(hours=1)).isoformat()}
    assert alice_api.post("/api/v1/doses", again).status_code == 409
    alice_api.post(f"/api/v1/entries/{dose['id']}/corrections", {"action": "void", "reason": "never taken"})
    assert alice_api.post("/api/v1/doses", again).status_code == 201


def test_a_correction_runs_the_rules_and_needs_acknowledgement(alice_api, dose):
    path = f"/api/v1/entries/{dose['id']}/corrections"
    refused = alice_api.post(path, {"action": "correct", "reason": "typo", "amount": "25"})
    assert refused.status_code == 409
    assert [w["code"] for w in refused.json()["warnings"]] == ["over_single_max"]
    accepted = alice_api.post(
        path, {"action": "correct", "reason": "typo", "amount": "25", "acknowledge": ["over_single_max"]}
    )
    assert accepted.status_code == 201
    assert accepted.json()["warnings"][0]["code"] == "over_single_max"


def test_a_corrected_entry_cannot_be_corrected_again(alice_api, dose):
    path = f"/api/v1/entries/{dose['id']}/corrections"
    assert alice_api.post(path, {"action": "void", "reason": "x"}).status_code == 201
    again = alice_api.post(path, {"action": "void", "reason": "x"})
    assert again.status_code == 409
    assert "already corrected" in again.json()["detail"]


def test_only_doses_can_be_corrected(alice_api, dose):
    protocol_entry = Entry.objects.get(seq=1, user__username="alice")
    response = alice_api.post(f"/api/v1/entries/{protocol_entry.uid}/corrections", {"action": "void", "reason": "x"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"action": "void"},
        {"action": "void", "reason": ""},
        {"action": "delete", "reason": "x"},
        {"action": "correct", "reason": "x", "amount": "-1"},
    ],
)
def test_invalid_corrections_are_422_and_change_nothing(alice_api, dose, body):
    count = Entry.objects.count()
    response = alice_api.post(f"/api/v1/entries/{dose['id']}/corrections", body)
    assert response.status_code == 422
    assert Entry.objects.count() == count


def test_a_missing_target_is_404(alice_api, dose):
    response = alice_api.post(
        "/api/v1/entries/00000000-0000-4000-8000-000000000000/corrections", {"action": "void", "reason": "x"}
    )
    assert response.status_code == 404
