"""The rules read the doses they need with bounded reads, of the same protocol (or the same compound and route):
however densely doses were logged, recording one more reads a handful of rows."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from shotlee.doses import services as doses
from shotlee.ledger import sql
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
EVERYTHING = ["possible_duplicate", "too_soon", "off_schedule", "over_window_max"]


@pytest.fixture
def rows_read(monkeypatch):
    """Every row the statements of ledger/sql.py fetch while a dose is recorded."""
    fetched: list[int] = []
    real = sql.cursor

    class Counting:
        def __init__(self, cur):
            self.cur = cur

        def execute(self, statement, params):
            self.cur.execute(statement, params)

        def fetchone(self):
            fetched.append(1)
            return self.cur.fetchone()

        def fetchall(self):
            rows = self.cur.fetchall()
            fetched.append(len(rows))
            return rows

    @contextmanager
    def counting():
        with real() as cur:
            yield Counting(cur)

    monkeypatch.setattr(sql, "cursor", counting)
    return fetched


def post(api, protocol, at, amount="0.25", ack=EVERYTHING):
    body = {"protocol": protocol["id"], "amount": amount, "occurred_at": at.isoformat(), "acknowledge": ack}
    response = api.post("/api/v1/doses", body)
    assert response.status_code in (201, 409), response.content
    return response


@pytest.mark.parametrize("gap", [timedelta(seconds=0), timedelta(minutes=1)])
def test_recording_a_dose_reads_a_bounded_number_of_rows_however_dense_the_history(alice_api, rows_read, gap):
    protocol = make_protocol(alice_api, min_interval_hours=24, window_hours=24, window_max="1000")
    for i in range(120):
        assert post(alice_api, protocol, T0 + i * gap).status_code == 201
    rows_read.clear()
    assert post(alice_api, protocol, T0 + 60 * gap).status_code == 201
    # The head, the protocol's versions, one dose on each side, same-amount neighbours (at most 20) and one sum
    # per unit: not the 120 doses in the window, because the cap is far away.
    assert sum(rows_read) <= 30, rows_read


def test_the_exact_window_is_read_only_when_a_cap_could_be_exceeded(alice_api, rows_read):
    protocol = make_protocol(alice_api, interval_hours=None, min_interval_hours=None, window_hours=24, window_max="0.9")
    for i in range(3):
        assert post(alice_api, protocol, T0 + timedelta(hours=i)).status_code == 201
    rows_read.clear()
    response = post(alice_api, protocol, T0 + timedelta(hours=3), ack=[])
    assert response.status_code == 409
    assert [w["code"] for w in response.json()["warnings"]] == ["over_window_max"]
    assert "to 1 mg, above your protocol's cap of 0.9 mg" in response.json()["warnings"][0]["message"]


def test_oral_and_mesotherapy_dutasteride_do_not_trip_each_other_s_minimum_gap(alice_api):
    """Rules compare doses of the same protocol; class_overlap still names the other protocol of the class."""
    meso = make_protocol(
        alice_api, compound="dutasteride", name="Dutasteride mesotherapy", dose="0.1", route="intradermal",
        interval_hours=None, min_interval_hours=168, max_single_dose=None, sites=[],
    )  # fmt: skip
    oral = make_protocol(
        alice_api, compound="dutasteride", name="Dutasteride 0.5 mg", dose="0.5", route="oral",
        interval_hours=24, min_interval_hours=None, max_single_dose=None, sites=[],
    )  # fmt: skip
    at = datetime.now(UTC) - timedelta(days=2)
    first = alice_api.post(
        "/api/v1/doses",
        {"protocol": meso["id"], "amount": "0.1", "occurred_at": at.isoformat(), "acknowledge": ["class_overlap"]},
    )
    assert first.status_code == 201, first.content
    second = alice_api.post(
        "/api/v1/doses", {"protocol": oral["id"], "amount": "0.5", "occurred_at": (at + timedelta(hours=1)).isoformat()}
    )
    assert second.status_code == 409
    assert [w["code"] for w in second.json()["warnings"]] == ["class_overlap"]
    assert "Dutasteride mesotherapy" in second.json()["warnings"][0]["message"]


def test_a_dose_outside_any_protocol_is_a_duplicate_only_of_the_same_compound_and_route(alice_api):
    at = datetime.now(UTC) - timedelta(hours=1)

    def log(route, minutes):
        body = {
            "compound": "minoxidil",
            "amount": "2.5",
            "unit": "mg",
            "route": route,
            "occurred_at": (at + timedelta(minutes=minutes)).isoformat(),
        }
        return alice_api.post("/api/v1/doses", body)

    assert log("oral", 0).status_code == 201
    assert log("topical", 5).status_code == 201  # another route: not a duplicate
    again = log("oral", 10)
    assert again.status_code == 409 and [w["code"] for w in again.json()["warnings"]] == ["possible_duplicate"]


def test_a_correction_is_not_its_own_neighbour(alice_api):
    protocol = make_protocol(alice_api)
    at = datetime.now(UTC) - timedelta(days=1)
    dose = post(alice_api, protocol, at, ack=[]).json()
    # Moving it by an hour: the original would be "too soon" and a "duplicate" of its own correction.
    moved = {"action": "correct", "reason": "wrong hour", "occurred_at": (at + timedelta(hours=1)).isoformat()}
    assert alice_api.post(f"/api/v1/entries/{dose['id']}/corrections", moved).status_code == 201


def test_the_rule_reads_use_the_compound_key_outside_a_protocol():
    assert set(doses.BY_COMPOUND) == set(doses.BY_PROTOCOL)
