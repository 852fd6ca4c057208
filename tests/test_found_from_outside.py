"""Issue 12, "found when tried from outside": each input that recorded a zero dose or answered 500, by the API and
the pages, on both engines. Each must get a clear 4xx naming the field, and change nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from shotlee.ledger.models import Entry
from shotlee.metrics.models import MetricType
from tests.conftest import Api, make_protocol

TOO_EARLY = "0001-01-01T00:00:00+14:00"  # before datetime.min once converted to UTC
TOO_LATE = "9999-12-31T23:59:59-14:00"  # after datetime.max once converted to UTC


def entries(user) -> int:
    return Entry.objects.for_user(user).count()


def field_errors(response) -> dict[str, str]:
    return {str(item["loc"][-1]): item["msg"] for item in response.json()["detail"]}


@pytest.fixture
def custom_type(alice_api) -> dict:
    response = alice_api.post("/api/v1/metric-types", {"name": "Steps", "unit": "steps"})
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("amount", ["9e-999999999", "1e-7", "0.0000000000000000000000000000001", 1e-300])
def test_a_dose_too_small_to_store_is_refused_not_recorded_as_zero(alice, alice_api, amount):
    protocol = make_protocol(alice_api)
    before = entries(alice)
    response = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": amount})
    assert response.status_code == 422, response.content
    assert "decimal places" in field_errors(response)["amount"]
    assert entries(alice) == before


def test_no_recorded_dose_has_a_zero_amount(alice, alice_api):
    protocol = make_protocol(alice_api)
    alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "9e-999999999"})
    assert not Entry.objects.for_user(alice).filter(kind="dose", amount_micro__lte=0).exists()


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/v1/side-effects", {"symptom": "headache", "severity": 2, "started_at": TOO_EARLY}, "started_at"),
        ("/api/v1/side-effects", {"symptom": "headache", "severity": 2, "ended_at": TOO_EARLY}, "ended_at"),
        ("/api/v1/metrics", {"type": "weight", "value": 80, "measured_at": TOO_EARLY}, "measured_at"),
        (
            "/api/v1/doses",
            {"compound": "finasteride", "unit": "mg", "amount": 1, "occurred_at": TOO_EARLY},
            "occurred_at",
        ),
    ],
)
def test_a_time_that_overflows_in_utc_is_refused_on_every_record(alice, alice_api, path, body, field):
    before = entries(alice)
    response = alice_api.post(path, body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert entries(alice) == before


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/v1/metrics", {"since": TOO_LATE}),
        ("/api/v1/side-effects", {"since": TOO_LATE}),
        ("/api/v1/side-effects", {"since": TOO_LATE, "until": TOO_LATE}),
    ],
)
def test_a_filter_time_past_the_end_of_utc_matches_nothing(alice_api, path, params):
    """A valid ISO time that does not fit a datetime in UTC is clamped: after every record, so nothing matches."""
    alice_api.post("/api/v1/metrics", {"type": "weight", "value": 80})
    alice_api.post("/api/v1/side-effects", {"symptom": "headache", "severity": 2})
    response = alice_api.get(path, params)
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


@pytest.mark.parametrize("path", ["/api/v1/metrics", "/api/v1/side-effects"])
def test_a_filter_time_before_the_start_of_utc_matches_everything_after_it(alice_api, path):
    alice_api.post("/api/v1/metrics", {"type": "weight", "value": 80})
    alice_api.post("/api/v1/side-effects", {"symptom": "headache", "severity": 2})
    response = alice_api.get(path, {"since": TOO_EARLY})
    assert response.status_code == 200, response.content
    assert len(response.json()["items"]) == 1
    assert alice_api.get(path, {"until": TOO_EARLY}).json()["items"] == []


@pytest.mark.parametrize("raw", ["0.5", "1700000000", "2026-01-31T08:00:00"])
@pytest.mark.parametrize("path", ["/api/v1/metrics", "/api/v1/side-effects"])
def test_a_filter_time_must_be_iso_8601_with_an_offset_not_an_epoch(alice_api, path, raw):
    response = alice_api.get(path, {"until": raw})
    assert response.status_code == 422, response.content
    assert "until" in field_errors(response)


def test_a_record_time_must_not_be_an_epoch_number(alice, alice_api):
    response = alice_api.post("/api/v1/metrics", {"type": "weight", "value": 80, "measured_at": 1700000000})
    assert response.status_code == 422
    assert "measured_at" in field_errors(response)
    assert entries(alice) == 0


@pytest.mark.parametrize("value", [10000000000000, "1e13", "1e23", "1e100", -10000000000000])
def test_a_custom_metric_value_beyond_what_can_be_stored_is_a_422(alice, alice_api, custom_type, value):
    before = entries(alice)
    response = alice_api.post("/api/v1/metrics", {"type": custom_type["key"], "value": value})
    assert response.status_code == 422, response.content
    assert "value" in field_errors(response)
    assert entries(alice) == before


@pytest.mark.parametrize("value,unit", [("1e23", "kg"), ("1e100", "kg"), ("1e100", "lb"), ("1e30", None)])
def test_a_huge_built_in_reading_is_a_422(alice, alice_api, value, unit):
    body = {"type": "weight", "value": value, **({"unit": unit} if unit else {})}
    response = alice_api.post("/api/v1/metrics", body)
    assert response.status_code == 422, response.content
    assert "value" in field_errors(response)
    assert entries(alice) == 0


@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("raw", ["1e999999999", "-1e999999999", "1e13"])
def test_a_metric_type_bound_beyond_range_is_a_422(alice, alice_api, bound, raw):
    response = alice_api.post("/api/v1/metric-types", {"name": "Probe", "unit": "u", bound: raw})
    assert response.status_code == 422, response.content
    assert bound in field_errors(response)
    assert not MetricType.objects.for_user(alice).exists()


@pytest.mark.parametrize("raw", ["1e999999999", "1e13"])
def test_a_metric_type_bound_beyond_range_on_the_page_is_shown_by_its_field(alice, raw):
    client = Client()
    client.force_login(alice)
    response = client.post("/metrics/types/", {"name": "Probe", "unit": "u", "min": raw})
    assert response.status_code == 422
    assert b"Lowest plausible value" in response.content
    assert not MetricType.objects.for_user(alice).exists()


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/v1/doses", {"compound": "finasteride", "unit": "mg", "amount": 1, "note": "a\x00b"}, "note"),
        ("/api/v1/doses", {"compound": "finasteride", "unit": "mg", "amount": 1, "site": "\x00"}, "site"),
        ("/api/v1/doses", {"compound": "fin\x00asteride", "unit": "mg", "amount": 1}, "compound"),
        ("/api/v1/side-effects", {"symptom": "head\x00ache", "severity": 2}, "symptom"),
        ("/api/v1/side-effects", {"symptom": "headache", "severity": 2, "note": "\x00"}, "note"),
        ("/api/v1/metrics", {"type": "weight", "value": 80, "note": "\x00"}, "note"),
        ("/api/v1/metrics", {"type": "wei\x00ght", "value": 80}, "type"),
        ("/api/v1/metric-types", {"name": "St\x00eps", "unit": "n"}, "name"),
        ("/api/v1/protocols", {"compound": "sema\x00glutide", "dose": 1, "unit": "mg", "route": "oral"}, "compound"),
        ("/api/v1/protocols", {"compound": "x", "dose": 1, "unit": "mg", "route": "oral", "sites": ["a\x00"]}, "sites"),
        ("/api/v1/auth/register", {"username": "eve\x00", "password": "a long enough password"}, "username"),
        ("/api/v1/auth/token", {"username": "eve\x00", "password": "x"}, "username"),
    ],
)
def test_a_nul_character_in_any_text_field_is_a_422_naming_it(alice, alice_api, path, body, field):
    before = entries(alice)
    response = alice_api.post(path, body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert entries(alice) == before


@pytest.mark.parametrize("path", ["/api/v1/guides?q=%00", "/api/v1/guides?route=%00", "/api/v1/guides/%00"])
def test_a_nul_character_in_a_public_guide_query_is_refused(db, path):
    response = Client().get(path)
    assert response.status_code in (404, 422), response.content


@pytest.mark.parametrize("path", ["/guides/?q=%00", "/guides/?q=a%00b&route=%00", "/metrics/?type=%00"])
def test_a_nul_character_in_a_page_query_is_a_400_not_a_500(alice, path):
    client = Client()
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_protocol_that_is_not_an_id_on_the_metric_form_is_a_form_error(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/metrics/log/", {"type": "weight", "value": "80", "unit": "kg", "protocol": "not-a-uuid"})
    assert response.status_code in (404, 422)
    assert entries(alice) == 0


@pytest.mark.parametrize("field", ["note", "site"])
def test_a_nul_character_posted_to_a_page_is_a_400_and_changes_nothing(alice, alice_api, field):
    protocol = make_protocol(alice_api)
    client = Client()
    client.force_login(alice)
    before = entries(alice)
    response = client.post(f"/doses/log/?protocol={protocol['id']}", {"amount": "0.25", field: "a\x00b"})
    assert response.status_code == 400
    assert b"NUL" in response.content
    assert entries(alice) == before


@pytest.mark.parametrize(
    "path,data",
    [
        ("/protocols/new/", {"guide": "\x00"}),
        ("/accounts/signup/", {"username": "eve\x00", "password": "x" * 20, "password2": "x" * 20}),
        ("/accounts/login/", {"username": "eve\x00", "password": "x"}),
    ],
)
def test_a_nul_character_in_any_posted_form_is_a_400(db, alice, path, data):
    client = Client()
    if path.startswith("/protocols"):
        client.force_login(alice)
    assert client.post(path, data).status_code == 400


def test_a_local_time_that_overflows_on_the_side_effect_page_is_a_form_error(db):
    from shotlee.accounts.services import register_user

    user = register_user("kiri", "correct horse battery staple", "Etc/GMT-14")  # UTC+14 all through history
    client = Client()
    client.force_login(user)
    response = client.post(
        "/side-effects/log/", {"symptom": "headache", "severity": "2", "started_at": "0001-01-01T00:00"}
    )
    assert response.status_code == 422
    assert b"out of range" in response.content
    assert entries(user) == 0


def test_the_anonymous_client_cannot_reach_private_data_through_these_paths(db):
    """The fixes keep the API's auth: bad input from a stranger is a 401, not a validation answer."""
    assert Api().post("/api/v1/metrics", {"type": "weight", "value": "1e100"}).status_code == 401


def test_a_ladder_step_with_a_bad_dose_is_a_422_found_by_the_property_tests(alice, alice_api):
    body = {
        "compound": "semaglutide",
        "dose": "0.25",
        "unit": "mg",
        "route": "subcutaneous",
        "schedule": {"every": 1, "unit": "weeks"},
        "ladder": [{"dose": "abc", "weeks": 4}, {"dose": "1"}],
    }
    response = alice_api.post("/api/v1/protocols", body)
    assert response.status_code == 422
    assert "ladder" in field_errors(response)
    assert entries(alice) == 0
