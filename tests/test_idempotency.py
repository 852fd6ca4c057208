"""T18: the Idempotency-Key rules, one behaviour per test (DESIGN.md section 3.7)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry, IdempotencyRecord
from shotlee.protocols.models import Protocol
from tests.conftest import WEEKLY, make_protocol

REPLAYED = "Idempotent-Replayed"


def when(days_ago: float = 1) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).replace(microsecond=0).isoformat()


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def entries(user, kind: str | None = None) -> int:
    rows = Entry.objects.filter(user=user)
    return (rows.filter(kind=kind) if kind else rows).count()


@pytest.fixture
def protocol(alice_api):
    return make_protocol(alice_api)


@pytest.fixture
def dose_body(protocol):
    return {"protocol": protocol["id"], "amount": "0.25", "site": "thigh left", "occurred_at": when()}


def test_replay_after_completion_returns_the_same_status_and_body(alice, alice_api, dose_body):
    first = alice_api.post("/api/v1/doses", dose_body, headers=key("k-1"))
    again = alice_api.post("/api/v1/doses", dose_body, headers=key("k-1"))
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true" and REPLAYED not in first.headers
    assert entries(alice, "dose") == 1
    assert IdempotencyRecord.objects.filter(user=alice).count() == 1


def test_same_key_with_a_different_body_is_422_and_records_nothing(alice, alice_api, dose_body):
    assert alice_api.post("/api/v1/doses", dose_body, headers=key("k-1")).status_code == 201
    before = entries(alice)
    changed = alice_api.post("/api/v1/doses", {**dose_body, "amount": "0.5"}, headers=key("k-1"))
    assert changed.status_code == 422, changed.content
    assert "different request" in changed.json()["detail"]
    assert REPLAYED not in changed.headers
    assert entries(alice) == before


def test_same_key_on_another_endpoint_is_422_not_the_other_response(alice, alice_api, dose_body):
    assert alice_api.post("/api/v1/doses", dose_body, headers=key("k-1")).status_code == 201
    before = entries(alice)
    other = alice_api.post("/api/v1/protocols", WEEKLY, headers=key("k-1"))
    assert other.status_code == 422, other.content
    assert entries(alice) == before and Protocol.objects.filter(user=alice).count() == 1


def test_a_request_without_a_key_is_not_deduplicated_by_key(alice, alice_api, dose_body):
    assert alice_api.post("/api/v1/doses", dose_body).status_code == 201
    second = alice_api.post("/api/v1/doses", dose_body)
    assert second.status_code == 409, second.content
    assert REPLAYED not in second.headers
    assert {"possible_duplicate", "too_soon"} <= {w["code"] for w in second.json()["warnings"]}
    assert entries(alice, "dose") == 1
    assert not IdempotencyRecord.objects.filter(user=alice).exists()


def test_a_refused_request_is_not_stored_so_its_key_can_succeed_later(alice, alice_api, dose_body):
    assert alice_api.post("/api/v1/doses", dose_body).status_code == 201
    retry = {**dose_body, "occurred_at": when(0.5)}
    refused = alice_api.post("/api/v1/doses", retry, headers=key("k-2"))
    assert refused.status_code == 409
    # The same key with the warnings acknowledged is a new request, not a mismatch with a stored 409.
    acknowledged = alice_api.post("/api/v1/doses", {**retry, "acknowledge": ["too_soon"]}, headers=key("k-2"))
    assert acknowledged.status_code == 201, acknowledged.content
    assert REPLAYED not in acknowledged.headers
    assert entries(alice, "dose") == 2


def test_a_key_of_255_characters_is_accepted(alice_api, dose_body):
    response = alice_api.post("/api/v1/doses", dose_body, headers=key("k" * 255))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("value", ["k" * 256, "k" * 1000, ""], ids=["256", "1000", "empty"])
def test_a_key_of_the_wrong_length_is_400_and_records_nothing(alice, alice_api, dose_body, value):
    before = entries(alice)
    response = alice_api.post("/api/v1/doses", dose_body, headers=key(value))
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()["detail"]
    assert entries(alice) == before


@pytest.mark.parametrize("value", ["caf\u00e9", "\u6f22\u5b57", "tab\there", "bell\x07", "del\x7f", "line\nbreak"])
def test_a_key_with_non_printable_or_non_ascii_characters_is_400(alice, alice_api, dose_body, value):
    before = entries(alice)
    response = alice_api.post("/api/v1/doses", dose_body, headers=key(value))
    assert response.status_code == 400, response.content
    assert entries(alice) == before and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("raw", [b"caf\xe9", b"caf\xc3\xa9", b"nul\x01"], ids=["latin-1", "utf-8", "control"])
def test_a_malformed_key_sent_over_http_is_400(alice, live_server, raw):
    token = issue_token(alice)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"compound": "ibuprofen", "amount": "200", "unit": "mg", "occurred_at": when()})
    response = requests.post(
        live_server.url + "/api/v1/doses", data=body, headers={**auth, "Idempotency-Key": raw}, timeout=10
    )
    assert response.status_code == 400, response.text
    assert "Idempotency-Key" in response.json()["detail"]
    assert entries(alice) == 0


def test_another_user_reusing_a_key_and_payload_gets_their_own_dose(alice, bob, alice_api, bob_api):
    body = {"compound": "ibuprofen", "amount": "200", "unit": "mg", "occurred_at": when()}
    mine = alice_api.post("/api/v1/doses", body, headers=key("shared-key"))
    theirs = bob_api.post("/api/v1/doses", body, headers=key("shared-key"))
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.content
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"] and theirs.json()["hash"] != mine.json()["hash"]
    bob_entry = Entry.objects.get(user=bob)
    assert theirs.json()["id"] == str(bob_entry.uid) and theirs.json()["seq"] == bob_entry.seq == 1
    assert entries(alice) == 1
    # Bob's own replay returns Bob's entry, and Alice's returns hers.
    assert bob_api.post("/api/v1/doses", body, headers=key("shared-key")).json() == theirs.json()
    assert alice_api.post("/api/v1/doses", body, headers=key("shared-key")).json() == mine.json()


def test_another_user_reusing_a_key_and_payload_gets_their_own_protocol(alice, bob, alice_api, bob_api):
    mine = alice_api.post("/api/v1/protocols", WEEKLY, headers=key("shared-key"))
    theirs = bob_api.post("/api/v1/protocols", WEEKLY, headers=key("shared-key"))
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.content
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["id"] == str(Protocol.objects.get(user=bob).uid)
    assert Protocol.objects.filter(user=alice).count() == 1
    assert bob_api.get(f"/api/v1/protocols/{mine.json()['id']}").status_code == 404


def test_the_same_client_entry_id_with_different_keys_returns_the_original_entry(alice, alice_api, dose_body):
    body = {**dose_body, "client_entry_id": str(uuid.uuid4())}
    first = alice_api.post("/api/v1/doses", body, headers=key("phone-1"))
    assert first.status_code == 201 and first.json()["id"] == body["client_entry_id"]
    for headers in (key("phone-2"), {}):
        again = alice_api.post("/api/v1/doses", body, headers=headers)
        assert again.status_code == 201, again.content
        assert again.json() == first.json()
        assert again.headers[REPLAYED] == "true"
    assert entries(alice, "dose") == 1


def test_protocol_creation_replay_returns_the_same_protocol_and_one_row(alice, alice_api):
    first = alice_api.post("/api/v1/protocols", WEEKLY, headers=key("p-1"))
    again = alice_api.post("/api/v1/protocols", WEEKLY, headers=key("p-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"
    assert Protocol.objects.filter(user=alice).count() == 1
    assert entries(alice, "protocol") == 1


def test_protocol_change_replay_returns_the_same_version_and_one_row(alice, alice_api, protocol):
    path = f"/api/v1/protocols/{protocol['id']}"
    first = alice_api.patch(path, {"dose": "0.5"}, headers=key("change-1"))
    again = alice_api.patch(path, {"dose": "0.5"}, headers=key("change-1"))
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"
    assert first.json()["dose"] == "0.5"
    assert entries(alice, "protocol") == 2


@pytest.mark.parametrize(
    "correction",
    [
        {"action": "void", "reason": "logged twice"},
        {"action": "correct", "reason": "wrong site", "site": "thigh right"},
    ],
    ids=["void", "correct"],
)
def test_correction_replay_returns_the_same_correction_and_one_row(alice, alice_api, dose_body, correction):
    dose = alice_api.post("/api/v1/doses", dose_body).json()
    path = f"/api/v1/entries/{dose['id']}/corrections"
    first = alice_api.post(path, correction, headers=key("fix-1"))
    again = alice_api.post(path, correction, headers=key("fix-1"))
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert again.json() == first.json() and again.headers[REPLAYED] == "true"
    assert first.json()["corrects_seq"] == dose["seq"]
    assert Entry.objects.filter(user=alice, target_seq=dose["seq"]).count() == 1
    # Without the key the same correction is a new request, and the rules refuse a second one.
    assert alice_api.post(path, correction).status_code == 409
