"""T23/T24 through the API: time boundaries, DST, the future, amounts and unit slips."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shotlee.ledger.models import Entry
from shotlee.lib.localtime import parse_local
from tests.conftest import make_protocol

T = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def dose(api, protocol, at, amount="0.25", **extra):
    return api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": amount, "occurred_at": at.isoformat(), **extra}
    )


def test_minimum_interval_boundary_minus_one_microsecond_warns_and_exact_boundary_passes(alice_api):
    protocol = make_protocol(alice_api, min_interval_hours=24, interval_hours=24)
    assert dose(alice_api, protocol, T).status_code == 201
    early = dose(alice_api, protocol, T + timedelta(hours=24) - timedelta(microseconds=1), amount="0.3")
    assert early.status_code == 409
    assert [w["code"] for w in early.json()["warnings"]] == ["too_soon"]
    assert dose(alice_api, protocol, T + timedelta(hours=24), amount="0.3").status_code == 201


def test_a_backdated_dose_is_checked_against_both_neighbours(alice_api):
    protocol = make_protocol(alice_api, min_interval_hours=24)
    assert dose(alice_api, protocol, T).status_code == 201
    assert dose(alice_api, protocol, T + timedelta(days=3)).status_code == 201
    close_to_next = dose(alice_api, protocol, T + timedelta(days=2, hours=12), amount="0.3")
    assert close_to_next.status_code == 409
    assert "before your" in close_to_next.json()["warnings"][0]["message"]
    assert dose(alice_api, protocol, T + timedelta(days=1, hours=12), amount="0.3").status_code == 201


@pytest.mark.parametrize(
    ("zone", "first", "second"),
    [
        # Clocks go forward: 24 wall-clock hours are 23 real hours.
        (LONDON, datetime(2026, 3, 28, 12, 0), datetime(2026, 3, 29, 12, 0)),
        (NEW_YORK, datetime(2026, 3, 7, 12, 0), datetime(2026, 3, 8, 12, 0)),
    ],
)
def test_spring_forward_counts_real_hours_not_wall_clock_hours(alice_api, zone, first, second):
    protocol = make_protocol(alice_api, min_interval_hours=24)
    assert dose(alice_api, protocol, first.replace(tzinfo=zone)).status_code == 201
    response = dose(alice_api, protocol, second.replace(tzinfo=zone), amount="0.3")
    assert response.status_code == 409
    assert "23 h" in response.json()["warnings"][0]["message"]


@pytest.mark.parametrize(
    ("zone", "first", "second"),
    [
        (LONDON, datetime(2026, 10, 24, 12, 0), datetime(2026, 10, 25, 11, 0)),  # 23 wall hours = 24 real hours
        (NEW_YORK, datetime(2026, 10, 31, 12, 0), datetime(2026, 11, 1, 11, 0)),
    ],
)
def test_fall_back_counts_real_hours_so_the_boundary_holds(alice_api, zone, first, second):
    protocol = make_protocol(alice_api, min_interval_hours=24)
    assert dose(alice_api, protocol, first.replace(tzinfo=zone)).status_code == 201
    assert dose(alice_api, protocol, second.replace(tzinfo=zone), amount="0.3").status_code == 201


def test_the_same_instant_in_different_offsets_is_the_same_decision(alice_api):
    protocol = make_protocol(alice_api, min_interval_hours=24)
    assert dose(alice_api, protocol, T).status_code == 201
    in_tokyo = (T + timedelta(hours=23, minutes=59)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert dose(alice_api, protocol, in_tokyo, amount="0.3").status_code == 409


def test_a_time_skipped_by_the_clock_change_is_refused_by_the_form_parser():
    with pytest.raises(ValueError, match="does not exist"):
        parse_local("2026-03-29T01:30", LONDON)
    assert parse_local("2026-10-25T01:30", LONDON).utcoffset() == timedelta(hours=1)  # first of the two 01:30s


def test_doses_more_than_five_minutes_in_the_future_are_refused(alice_api):
    protocol = make_protocol(alice_api)
    now = datetime.now(UTC)
    late = dose(alice_api, protocol, now + timedelta(minutes=6))
    assert late.status_code == 422
    assert late.json()["detail"][0]["loc"] == ["body", "occurred_at"]
    assert dose(alice_api, protocol, now + timedelta(minutes=4)).status_code == 201


def test_a_time_without_offset_is_refused(alice_api):
    protocol = make_protocol(alice_api)
    response = alice_api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": "2026-02-01T09:00:00"}
    )
    assert response.status_code == 422
    assert "UTC offset" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "raw_amount",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e309",
        "-1",
        "0",
        "-0",
        '"0.0000001"',
        '"abc"',
        "true",
        "null",
        '"1e400"',
        "12345678901",
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_recorded(alice_api, raw_amount):
    protocol = make_protocol(alice_api)
    before = Entry.objects.count()
    body = f'{{"protocol": "{protocol["id"]}", "amount": {raw_amount}}}'
    response = alice_api.post("/api/v1/doses", raw=body)
    assert response.status_code in (400, 422), response.content
    assert Entry.objects.count() == before


def test_malformed_json_is_400(alice_api):
    response = alice_api.post("/api/v1/doses", raw='{"amount": ')
    assert response.status_code == 400


def test_a_1000x_unit_slip_is_caught_and_an_exact_conversion_is_not(alice_api):
    protocol = make_protocol(alice_api)  # 0.25 mg, max 2.4 mg
    slip = dose(alice_api, protocol, T, amount="250")  # meant mcg, typed into mg
    assert slip.status_code == 409
    assert [w["code"] for w in slip.json()["warnings"]] == ["over_single_max"]
    exact = dose(alice_api, protocol, T, amount="250", unit="mcg")
    assert exact.status_code == 201
    assert exact.json()["unit"] == "mcg"


def test_a_unit_that_cannot_be_converted_warns(alice_api):
    protocol = make_protocol(alice_api)
    response = dose(alice_api, protocol, T, amount="10", unit="IU")
    assert response.status_code == 409
    assert [w["code"] for w in response.json()["warnings"]] == ["unit_mismatch"]


def test_two_protocols_of_one_drug_class_warn_class_overlap(alice_api):
    make_protocol(
        alice_api,
        compound="finasteride",
        name="Finasteride 1 mg",
        dose="1",
        unit="mg",
        route="oral",
        max_single_dose="1",
    )
    duta = make_protocol(
        alice_api,
        compound="dutasteride",
        name="Dutasteride mesotherapy",
        dose="0.1",
        route="intradermal",
        max_single_dose="1",
    )
    response = dose(alice_api, duta, T, amount="0.1")
    assert response.status_code == 409
    warning = response.json()["warnings"][0]
    assert warning["code"] == "class_overlap" and "Finasteride 1 mg" in warning["message"]
    recorded = dose(alice_api, duta, T, amount="0.1", acknowledge=["class_overlap"])
    assert recorded.status_code == 201


def test_unknown_acknowledgement_codes_are_refused(alice_api):
    protocol = make_protocol(alice_api)
    response = dose(alice_api, protocol, T, acknowledge=["whatever"])
    assert response.status_code == 422


def test_protocol_version_in_force_when_the_dose_occurred_is_used(alice_api):
    protocol = make_protocol(alice_api, max_single_dose="0.5")
    changed = alice_api.patch(f"/api/v1/protocols/{protocol['id']}", {"max_single_dose": "2.4", "dose": "1"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["version_seq"] == 2
    # Back-dated before the change: the old maximum (0.5 mg) applies.
    old = dose(alice_api, protocol, T, amount="1")
    assert old.status_code == 409 and old.json()["warnings"][0]["code"] == "over_single_max"
    new = dose(alice_api, protocol, datetime.now(UTC), amount="1")
    assert new.status_code == 201
