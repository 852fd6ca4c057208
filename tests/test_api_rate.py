"""T39: past API_WRITES_PER_MINUTE a user's API writes get 429 with Retry-After and record nothing; reads and other
users go on. Sign-up attempts per address are limited the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.test import Client

from shotlee.ledger.models import Entry
from tests.conftest import PASSWORD, Api, make_protocol


def reading(n: int) -> dict:
    return {"type": "weight", "value": 70 + n, "measured_at": (datetime.now(UTC) - timedelta(minutes=n)).isoformat()}


def test_writes_past_the_rate_get_429_with_retry_after_and_record_nothing(alice_api, bob_api, settings):
    cache.clear()
    settings.API_WRITES_PER_MINUTE = 5
    answers = [alice_api.post("/api/v1/metrics", reading(n)).status_code for n in range(6)]
    assert answers == [201] * 5 + [429]
    refused = alice_api.post("/api/v1/metrics", reading(9))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests" in refused.json()["detail"]
    assert Entry.objects.filter(user__username="alice").count() == 5
    assert alice_api.get("/api/v1/metrics").status_code == 200  # reading goes on
    assert bob_api.post("/api/v1/metrics", reading(0)).status_code == 201  # the limit is per user


def test_the_default_rate_is_generous_for_a_person_and_can_be_switched_off(alice_api, settings):
    from shotlee import settings as defaults

    cache.clear()
    assert defaults.API_WRITES_PER_MINUTE == 60
    settings.API_WRITES_PER_MINUTE = 0
    protocol = make_protocol(alice_api)
    for n in range(3):
        assert alice_api.post("/api/v1/metrics", reading(n)).status_code == 201
    assert protocol["id"]


def test_sign_up_attempts_per_address_are_limited(db, settings):
    cache.clear()
    settings.SIGNUPS_PER_HOUR = 2
    api = Api()
    first = api.client.post(
        "/api/v1/auth/register", {"username": "one", "password": PASSWORD}, content_type="application/json"
    )
    second = Client().post("/accounts/signup/", {"username": "two", "password": PASSWORD, "password2": PASSWORD})
    third = api.client.post(
        "/api/v1/auth/register", {"username": "three", "password": PASSWORD}, content_type="application/json"
    )
    page = Client().post("/accounts/signup/", {"username": "four", "password": PASSWORD, "password2": PASSWORD})
    assert (first.status_code, second.status_code, third.status_code, page.status_code) == (201, 302, 429, 429)
    assert int(third["Retry-After"]) > 0 and int(page["Retry-After"]) > 0
    assert b"Too many sign-up attempts" in page.content
    other = Client(REMOTE_ADDR="10.0.0.2").post(
        "/accounts/signup/", {"username": "five", "password": PASSWORD, "password2": PASSWORD}
    )
    assert other.status_code == 302
