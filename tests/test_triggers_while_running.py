"""Issue 12, item 4: a running server notices a dropped append-only trigger. Verification reports the triggers'
state (ok false when one is missing), and writes are then refused with 503 and a clear message, changing nothing,
until the triggers are back."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client

from shotlee.ledger import guard, triggers
from shotlee.ledger.models import Entry
from shotlee.lib import rules
from tests.conftest import make_protocol

ALL = triggers.expected_triggers(connection.vendor)


def drop(table: str, name: str) -> None:
    """As someone with raw access would: plain DDL, not through this process's trigger module."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL refuses to run with deferred FK checks pending
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")


@pytest.fixture
def restore(db):
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    triggers.install(connection)
    assert triggers.missing(connection) == []


def dose(api, protocol) -> object:
    return api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "acknowledge": list(rules.CODES)})


def test_verify_reports_the_triggers_when_all_are_present(alice_api):
    body = alice_api.get("/api/v1/ledger/verify").json()
    assert body["ok"] is True
    assert body["triggers"] == {"ok": True, "missing": []}


@pytest.mark.parametrize("table,name", ALL, ids=[name for _, name in ALL])
def test_a_dropped_trigger_makes_verify_say_so_and_writes_answer_503(alice, alice_api, restore, table, name):
    protocol = make_protocol(alice_api)
    assert dose(alice_api, protocol).status_code == 201
    drop(table, name)

    verdict = alice_api.get("/api/v1/ledger/verify")
    assert verdict.status_code == 200
    body = verdict.json()
    assert body["ok"] is False
    assert body["triggers"] == {"ok": False, "missing": [name]}
    assert body["first_bad_seq"] is None  # the chain itself is intact
    assert "protection" in body["reason"]

    before = Entry.objects.for_user(alice).count()
    refused = dose(alice_api, protocol)
    assert refused.status_code == 503
    assert "migrate" in refused.json()["detail"] and "Nothing was recorded" in refused.json()["detail"]
    assert alice_api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 2}).status_code == 503
    assert Entry.objects.for_user(alice).count() == before

    triggers.install(connection)  # what `manage.py migrate` does
    assert dose(alice_api, protocol).status_code == 201
    assert alice_api.get("/api/v1/ledger/verify").json()["ok"] is True


def test_writes_notice_a_dropped_trigger_by_themselves_within_the_cache_time(alice, alice_api, restore, monkeypatch):
    monkeypatch.setattr(guard, "TTL", 0.05)
    protocol = make_protocol(alice_api)
    table, name = ALL[0]
    drop(table, name)
    time.sleep(0.1)
    assert dose(alice_api, protocol).status_code == 503


def test_the_check_is_cached_between_writes(alice_api, django_assert_max_num_queries):
    """Cheap: within the cache time a write does not look at the catalogue again."""
    protocol = make_protocol(alice_api)
    dose(alice_api, protocol)
    guard.missing_triggers()  # fresh enough
    calls = []
    original = triggers.missing
    try:
        triggers.missing = lambda conn: calls.append(1) or original(conn)  # type: ignore[assignment]
        dose(alice_api, protocol)
        dose(alice_api, protocol)
    finally:
        triggers.missing = original  # type: ignore[assignment]
    assert calls == []


def test_the_pages_say_recording_is_off_and_the_full_check_shows_it(alice, alice_api, restore):
    protocol = make_protocol(alice_api)
    client = Client()
    client.force_login(alice)
    table, name = ALL[0]
    drop(table, name)

    check = client.post("/history/verify/")
    assert check.status_code == 200
    assert b"not protected against changes" in check.content

    response = client.post(f"/doses/log/?protocol={protocol['id']}", {"amount": "0.25"})
    assert b"Recording is switched off" in response.content
    assert Entry.objects.for_user(alice).filter(kind="dose").count() == 0
