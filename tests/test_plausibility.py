"""Issue 14, "Plausibility": a dose dated more than a year back asks to be confirmed (`long_ago`), a protocol
starting more than a year ahead is refused, and a protocol without doses can be deleted (a ledger record)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from shotlee.ledger.models import Entry
from shotlee.protocols.models import Protocol
from tests.conftest import make_protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_a_dose_dated_1900_is_recorded_only_once_the_person_confirms_the_year(alice, alice_api):
    protocol = make_protocol(alice_api)
    body = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": "1900-01-01T08:00:00Z"}
    refused = alice_api.post("/api/v1/doses", body)
    assert refused.status_code == 409
    assert [w["code"] for w in refused.json()["warnings"]] == ["long_ago"]
    assert "1 January 1900" in refused.json()["warnings"][0]["message"]
    assert not Entry.objects.for_user(alice).filter(kind="dose").exists()
    confirmed = alice_api.post("/api/v1/doses", {**body, "acknowledge": ["long_ago"]})
    assert confirmed.status_code == 201
    recent = (datetime.now(UTC) - timedelta(days=300)).isoformat()
    assert alice_api.post("/api/v1/doses", {**body, "occurred_at": recent}).status_code == 201


def test_the_dose_page_asks_to_confirm_a_dose_more_than_a_year_back(alice, alice_api, web):
    protocol = make_protocol(alice_api)
    post = {"protocol": protocol["id"], "amount": "0.25", "unit": "mg", "occurred_at": "2001-05-01T08:00"}
    page = web.post("/doses/log/", post)
    assert page.status_code == 409
    assert "More than a year ago" in page.content.decode() and "Check the year" in page.content.decode()
    assert web.post("/doses/log/", {**post, "acknowledge": ["long_ago"]}).status_code == 302
    assert Entry.objects.for_user(alice).filter(kind="dose").count() == 1


def test_a_protocol_starting_in_the_year_3000_is_refused_on_the_page(alice, web):
    page = web.post(
        "/protocols/new/",
        {"compound": "finasteride", "dose": "1", "unit": "mg", "route": "oral", "starts_on": "3000-01-01"},
    )
    assert page.status_code == 422
    assert "Start date</strong>: is more than a year ahead" in page.content.decode()
    assert not Protocol.objects.for_user(alice).exists()


def test_a_protocol_without_doses_is_deleted_and_the_ledger_keeps_the_record(alice, alice_api, web):
    protocol = make_protocol(alice_api, name="Typo protocol")
    detail = web.get(f"/protocols/{protocol['id']}/").content.decode()
    assert "Delete this protocol" in detail
    response = web.post(f"/protocols/{protocol['id']}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/protocols/"
    assert "Deleted Typo protocol" in response.content.decode()
    assert not Protocol.objects.for_user(alice).exists()
    last = Entry.objects.for_user(alice).order_by("-seq").first()
    assert last.kind == "protocol" and json.loads(last.payload)["action"] == "delete"
    assert "Protocol deleted: Typo protocol" in web.get("/history/").content.decode()
    assert alice_api.get("/api/v1/ledger/verify").json()["ok"] is True
    assert web.get(f"/protocols/{protocol['id']}/").status_code == 404


def test_a_protocol_with_doses_is_not_deleted(alice, alice_api, web):
    protocol = make_protocol(alice_api)
    assert alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25"}).status_code == 201
    assert "Delete this protocol" not in web.get(f"/protocols/{protocol['id']}/").content.decode()
    before = Entry.objects.for_user(alice).count()
    response = web.post(f"/protocols/{protocol['id']}/delete/", follow=True)
    assert "has doses recorded; stop it instead" in response.content.decode()
    assert Protocol.objects.for_user(alice).exists() and Entry.objects.for_user(alice).count() == before


def test_bob_cannot_delete_alice_s_protocol(alice, alice_api, bob):
    protocol = make_protocol(alice_api)
    client = Client()
    client.force_login(bob)
    assert client.post(f"/protocols/{protocol['id']}/delete/").status_code == 404
    assert client.get(f"/protocols/{protocol['id']}/delete/").status_code in (404, 405)
    assert Protocol.objects.for_user(alice).count() == 1
