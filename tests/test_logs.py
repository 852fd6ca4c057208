"""Issue 12 / T45-T46: no health data, password or token in any log line, and security events as structured lines.

The flows below carry canary strings in every kind of private field (notes, symptoms, sites, names, passwords,
usernames typed by mistake, a token) and numbers as canaries in health values; every log record captured at
DEBUG — the app's, Django's request logger's, the security events' — is scanned for them. (conftest.py also scans
every test of the suite for the shared password and "CANARY" markers.)"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test import Client

from shotlee.accounts.services import issue_token, register_user
from shotlee.ledger import triggers
from shotlee.lib import audit, rules
from tests.conftest import Api, make_protocol

CANARY = "Kq7CANARYzz"
SECRET_PASSWORD = f"pw {CANARY} horse battery"
HEALTH_NUMBER = "4242.4242"


def log_text(caplog) -> list[str]:
    texts = []
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    for record in caplog.records:
        # What a handler writes: the message, its arguments, a traceback. (Django's request logger also attaches
        # the request object for handlers that want it; ours do not render it, see docs/security.md.)
        texts.append(formatter.format(record))
        texts.append(repr(record.args))
    return texts


def events(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "shotlee.security"]


@pytest.fixture
def canary_world(db, caplog):
    caplog.set_level(logging.DEBUG)
    alice = register_user("alice", SECRET_PASSWORD, "UTC")
    token = issue_token(alice)
    api = Api(token)
    bob = register_user("bob", SECRET_PASSWORD, "UTC")
    bob_api = Api(issue_token(bob))
    return {"alice": alice, "bob": bob, "api": api, "bob_api": bob_api, "token": token}


def run_flows(world) -> None:
    api, bob_api, alice = world["api"], world["bob_api"], world["alice"]
    anonymous = Api()
    # log-ins: right, wrong, and a password typed into the username field
    assert anonymous.post("/api/v1/auth/token", {"username": "alice", "password": SECRET_PASSWORD}).status_code == 201
    assert anonymous.post("/api/v1/auth/token", {"username": "alice", "password": CANARY + "x"}).status_code == 401
    assert anonymous.post("/api/v1/auth/token", {"username": SECRET_PASSWORD, "password": "x"}).status_code == 401
    assert anonymous.post("/api/v1/auth/register", {"username": f"u{CANARY}", "password": "short"}).status_code == 422
    web = Client()
    assert web.post("/accounts/login/", {"username": "alice", "password": CANARY}).status_code in (200, 401, 422)
    web.force_login(alice)

    protocol = make_protocol(api, name=f"{CANARY} protocol", sites=[f"{CANARY} site"])
    ack = list(rules.CODES)
    body = {"protocol": protocol["id"], "amount": "0.25", "note": f"{CANARY} note", "site": f"{CANARY} thigh"}
    assert api.post("/api/v1/doses", {**body, "acknowledge": ack}).status_code == 201
    assert api.post("/api/v1/doses", body).status_code == 409  # a rule fires
    assert api.post("/api/v1/doses", {**body, "acknowledge": ack}).status_code == 201  # overridden: an event
    assert api.post("/api/v1/doses", {**body, "note": CANARY * 300}).status_code == 422
    assert api.post("/api/v1/doses", {**body, "note": f"{CANARY}\x00"}).status_code == 422
    assert api.post("/api/v1/doses", raw='{"note": "' + CANARY + '", broken').status_code == 400
    key = {"Idempotency-Key": "k1"}
    assert api.post("/api/v1/doses", {**body, "acknowledge": ack}, headers=key).status_code == 201
    assert api.post("/api/v1/doses", {**body, "note": "other", "acknowledge": ack}, headers=key).status_code == 422

    effect = api.post("/api/v1/side-effects", {"symptom": f"{CANARY} rash", "severity": 7, "note": CANARY}).json()
    kind = api.post("/api/v1/metric-types", {"name": f"{CANARY} level", "unit": "u"}).json()
    reading = api.post("/api/v1/metrics", {"type": kind["key"], "value": HEALTH_NUMBER, "note": CANARY}).json()
    assert api.get("/api/v1/side-effects", {"symptom": f"{CANARY} rash"}).status_code == 200

    # bob asks for alice's things: 404s, logged as events without the path's other parts
    for path in (f"/api/v1/protocols/{protocol['id']}", f"/api/v1/metric-types/{kind['id']}"):
        assert bob_api.get(path).status_code == 404
    assert (
        bob_api.post(f"/api/v1/entries/{effect['id']}/corrections", {"action": "void", "reason": CANARY}).status_code
        == 404
    )

    # the pages, with the same canaries
    page = web.post(f"/doses/log/?protocol={protocol['id']}", {"amount": "0.25", "note": f"{CANARY} page note"})
    assert page.status_code in (302, 409)
    assert web.post("/side-effects/log/", {"symptom": f"{CANARY} page", "severity": "3"}).status_code == 302
    assert (
        web.post("/metrics/log/", {"type": "weight", "value": "4242", "unit": "kg", "note": CANARY}).status_code == 422
    )
    assert web.get(f"/history/{reading['id']}/correct/").status_code == 200
    other = Client()
    other.force_login(world["bob"])
    assert other.get(f"/history/{reading['id']}/correct/").status_code == 404
    assert web.get("/guides/", {"q": f"{CANARY}\x00"}).status_code == 400


def test_no_canary_reaches_any_log_line(canary_world, caplog):
    run_flows(canary_world)
    texts = "\n".join(log_text(caplog))
    assert caplog.records, "the flows log nothing: the scan would prove nothing"
    for canary in (CANARY, canary_world["token"], HEALTH_NUMBER, "4242"):
        assert canary not in texts, canary


def test_security_events_are_structured_lines_with_a_utc_time(canary_world, caplog):
    run_flows(canary_world)
    seen = events(caplog)
    names = {e["event"] for e in seen}
    assert {"login.failed", "login.succeeded", "rule.overridden", "idempotency.mismatch", "object.not_found"} <= names
    for e in seen:
        assert e["at"].endswith("+00:00")
    overrides = [e for e in seen if e["event"] == "rule.overridden"]
    assert overrides and all(e["actor"] == canary_world["alice"].pk and e["codes"] for e in overrides)
    not_found = [e for e in seen if e["event"] == "object.not_found"]
    assert len(not_found) == 4 and {e["method"] for e in not_found} == {"GET", "POST"}
    failed = [e for e in seen if e["event"] == "login.failed"]
    assert len(failed) == 3 and all(e["who"].startswith("h:") for e in failed)


def test_a_dropped_trigger_is_a_security_event(canary_world, caplog):
    api = canary_world["api"]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        triggers.uninstall(connection)
        assert api.get("/api/v1/ledger/verify").json()["ok"] is False
    finally:
        triggers.install(connection)
    assert any(e["event"] == "ledger.unprotected" and e["missing"] for e in events(caplog))


@pytest.mark.parametrize("value", ['line\nforged {"event": "x"}', "\x1b[31mred", "a note about my dose", "x" * 200])
def test_an_event_field_that_is_not_an_identifier_is_redacted(value):
    body = json.loads(audit.line("probe", field=value))
    assert body["field"] == audit.REDACTED
    assert "\n" not in audit.line("probe", field=value)


def test_identifiers_are_kept_as_they_are():
    body = json.loads(audit.line("probe", route="api/v1/protocols/<protocol_id>", codes=["too_soon"], actor=3))
    assert body["route"] == "api/v1/protocols/<protocol_id>" and body["codes"] == ["too_soon"] and body["actor"] == 3
