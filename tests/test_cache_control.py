"""Issue 12 / ASVS 14.3.2 (T34): health data is not kept by shared caches or a shared device's back-forward cache.
Every authenticated page and every API answer — success or refusal — says `Cache-Control: no-store`."""

from __future__ import annotations

import pytest
from django.test import Client

from shotlee.accounts.services import rotate_calendar_token
from shotlee.lib import rules
from tests.conftest import make_protocol

PAGES = [
    "/",
    "/accounts/settings/",
    "/protocols/",
    "/protocols/new/",
    "/doses/log/",
    "/history/",
    "/side-effects/",
    "/side-effects/log/",
    "/metrics/",
    "/metrics/log/",
    "/metrics/types/",
    "/guides/",
]


@pytest.fixture
def world(alice, alice_api):
    protocol = make_protocol(alice_api)
    dose = alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}).json()
    return {"protocol": protocol, "dose": dose}


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("path", PAGES)
def test_every_signed_in_page_says_no_store(alice, world, path):
    client = Client()
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 200
    assert no_store(response), response.get("Cache-Control")


def test_object_pages_say_no_store(alice, world):
    client = Client()
    client.force_login(alice)
    for path in (f"/protocols/{world['protocol']['id']}/", f"/history/{world['dose']['id']}/correct/"):
        response = client.get(path)
        assert response.status_code == 200 and no_store(response), path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/protocols",
        "/api/v1/doses",
        "/api/v1/side-effects",
        "/api/v1/metrics",
        "/api/v1/metric-types",
        "/api/v1/ledger",
        "/api/v1/ledger/verify",
    ],
)
def test_every_authenticated_api_answer_says_no_store(alice_api, world, path):
    response = alice_api.get(path)
    assert response.status_code == 200
    assert no_store(response), response.get("Cache-Control")


def test_api_writes_and_refusals_say_no_store(alice_api, bob_api, world):
    protocol = world["protocol"]
    answers = [
        alice_api.post(
            "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "acknowledge": list(rules.CODES)}
        ),
        alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}),  # 409
        alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "-1"}),  # 422
        alice_api.post("/api/v1/doses", raw="{not json"),  # 400
        bob_api.get(f"/api/v1/protocols/{protocol['id']}"),  # 404
        Client().get("/api/v1/doses"),  # 401
        alice_api.post("/api/v1/auth/token", {"username": "alice", "password": "correct horse battery staple"}),
    ]
    assert [a.status_code for a in answers] == [201, 409, 422, 400, 404, 401, 201]
    assert all(no_store(a) for a in answers)


def test_the_private_calendar_feed_says_no_store(alice, world):
    token = rotate_calendar_token(alice)
    response = Client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert no_store(response)
