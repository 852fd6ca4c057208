"""T27/T29: another user's data is a 404 on every URL, exactly like a missing id; lists never mix users."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from shotlee.accounts.models import ApiToken
from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry
from tests.conftest import make_protocol

MISSING = "00000000-0000-4000-8000-000000000000"

# Every route of the app. A new route fails this test until it is listed here and covered below.
KNOWN_ROUTES = {
    "",
    "accounts/signup/",
    "accounts/login/",
    "accounts/login/code/",
    "accounts/two-step/",
    "accounts/logout/",
    "accounts/settings/",
    "accounts/password/",
    "accounts/password/reset/",
    "accounts/password/reset/sent/",
    "accounts/password/reset/<uidb64>/<token>/",
    "accounts/password/reset/done/",
    "accounts/tokens/",
    "accounts/delete/",
    "data/",
    "data/export.json",
    "data/export.csv.zip",
    "data/export.fhir.json",
    "data/check/",
    "data/import/",
    "data/import/template.csv",
    "data/report/",
    "guides/",
    "guides/<slug:slug>/",
    "protocols/",
    "protocols/new/",
    "protocols/<uuid:uid>/",
    "protocols/<uuid:uid>/edit/",
    "protocols/<uuid:uid>/step/",
    "protocols/<uuid:uid>/delete/",
    "doses/log/",
    "doses/backfill/<uuid:uid>/",
    "history/",
    "history/verify/",
    "history/checkpoint.json",
    "history/<uuid:uid>/correct/",
    "side-effects/",
    "side-effects/log/",
    "metrics/",
    "metrics/log/",
    "metrics/types/",
    "supplies/",
    "supplies/add/",
    "supplies/calculator/",
    "supplies/<uuid:uid>/",
    "supplies/<uuid:uid>/open/",
    "supplies/<uuid:uid>/reconstitute/",
    "supplies/<uuid:uid>/adjust/",
    "supplies/<uuid:uid>/discard/",
    "calendar/<str:token>.ics",
    "reminders/",
    "reminders/push/subscribe/",
    "reminders/push/unsubscribe/",
    "sw.js",
    "offline/",
    "welcome/",
    "api/v1/",
    "api/v1/openapi.json",
    "api/v1/docs",
    "api/v1/auth/register",
    "api/v1/auth/token",
    "api/v1/guides",
    "api/v1/guides/<slug>",
    "api/v1/protocols",
    "api/v1/protocols/<protocol_id>",
    "api/v1/doses",
    "api/v1/entries/<entry_id>/corrections",
    "api/v1/ledger",
    "api/v1/ledger/verify",
    "api/v1/side-effects",
    "api/v1/metrics",
    "api/v1/metric-types",
    "api/v1/metric-types/<type_id>",
    "api/v1/supplies",
    "api/v1/supplies/<supply_id>",
    "api/v1/supplies/<supply_id>/events",
    "api/v1/supplies/<supply_id>/reconstitute",
    "api/v1/calculator",
    "api/v1/export.json",
    "api/v1/export.csv.zip",
    "api/v1/export.fhir.json",
    "api/v1/export/verify",
    "api/v1/charts/protocols/<protocol_id>",
    "api/v1/charts/timeline",
    "api/v1/charts/metrics",
    "timeline/",
    "timeline/<uuid:uid>/",
}


def routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return {r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")}


def test_every_route_is_known_so_none_escapes_the_ownership_matrix():
    assert routes() == KNOWN_ROUTES


@pytest.fixture
def alice_world(alice, alice_api):
    protocol = make_protocol(alice_api, name="ALICE-CANARY protocol")
    at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    dose = alice_api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at, "note": "ALICE-CANARY note"}
    )
    assert dose.status_code == 201
    effect = alice_api.post(
        "/api/v1/side-effects", {"symptom": "ALICE-CANARY symptom", "severity": 2, "protocol": protocol["id"]}
    )
    reading = alice_api.post("/api/v1/metrics", {"type": "weight", "value": 70, "note": "ALICE-CANARY reading"})
    kind = alice_api.post("/api/v1/metric-types", {"name": "ALICE-CANARY type", "unit": "pts"})
    vial = alice_api.post(
        "/api/v1/supplies", {"compound": "semaglutide", "form": "vial", "powder": "5", "lot": "ALICE-CANARY lot"}
    )
    assert vial.status_code == 201
    assert effect.status_code == reading.status_code == kind.status_code == 201
    issue_token(alice, "ALICE-CANARY token")
    from shotlee.reminders.models import PushSubscription, ReminderSetting

    ReminderSetting.objects.create(user=alice, protocol_uid=protocol["id"], email=True)
    PushSubscription.objects.create(
        user=alice, endpoint="https://fcm.googleapis.com/ALICE-CANARY", p256dh="k", auth="a"
    )
    return {
        "token": str(ApiToken.objects.get(user=alice, name="ALICE-CANARY token").pk),
        "protocol": protocol["id"],
        "dose": dose.json()["id"],
        "effect": effect.json()["id"],
        "reading": reading.json()["id"],
        "type": kind.json()["id"],
        "supply": vial.json()["id"],
    }


def api_attempts(world):
    p, d = world["protocol"], world["dose"]
    return [
        ("get", f"/api/v1/protocols/{p}", None),
        ("patch", f"/api/v1/protocols/{p}", {"dose": "5"}),
        ("post", f"/api/v1/entries/{d}/corrections", {"action": "void", "reason": "bob was here"}),
        ("post", f"/api/v1/entries/{p}/corrections", {"action": "void", "reason": "bob was here"}),
        ("post", "/api/v1/doses", {"protocol": p, "amount": "0.25"}),
        ("post", f"/api/v1/entries/{world['effect']}/corrections", {"action": "void", "reason": "bob"}),
        ("post", f"/api/v1/entries/{world['reading']}/corrections", {"action": "correct", "reason": "bob", "value": 1}),
        ("post", "/api/v1/side-effects", {"symptom": "x", "severity": 1, "protocol": p}),
        ("post", "/api/v1/side-effects", {"symptom": "x", "severity": 1, "dose": d}),
        ("post", "/api/v1/metrics", {"type": f"custom:{world['type']}", "value": 1}),
        ("post", "/api/v1/metrics", {"type": "weight", "value": 70, "protocol": p}),
        ("get", f"/api/v1/metric-types/{world['type']}", None),
        ("get", f"/api/v1/side-effects?protocol={p}", None),
        ("get", f"/api/v1/supplies/{world['supply']}", None),
        ("get", f"/api/v1/supplies/{world['supply']}/events", None),
        ("post", f"/api/v1/supplies/{world['supply']}/events", {"action": "discard"}),
        ("post", f"/api/v1/supplies/{world['supply']}/reconstitute", {"diluent": "2"}),
        ("post", "/api/v1/doses", {"protocol": p, "amount": "10", "unit": "syringe_units", "supply": world["supply"]}),
        ("get", f"/api/v1/charts/protocols/{p}", None),
        ("get", f"/api/v1/charts/metrics?type=custom:{world['type']}", None),
        ("get", f"/api/v1/charts/protocols/{p}?range=all", None),
    ]


def web_attempts(world):
    p, d = world["protocol"], world["dose"]
    return [
        ("get", f"/protocols/{p}/", None),
        ("get", f"/protocols/{p}/edit/", None),
        ("post", f"/protocols/{p}/delete/", {}),
        ("post", f"/protocols/{p}/edit/", {"compound": "x", "dose": "1", "unit": "mg", "route": "oral"}),
        ("get", f"/history/{d}/correct/", None),
        ("post", f"/history/{d}/correct/", {"action": "void", "reason": "bob was here"}),
        ("get", f"/doses/log/?protocol={p}", None),
        ("post", "/doses/log/", {"protocol": p, "amount": "0.25", "unit": "mg"}),
        ("get", f"/doses/backfill/{p}/", None),
        ("post", f"/doses/backfill/{p}/", {"row": ["x"], "include-x": "1"}),
        ("get", f"/history/{world['effect']}/correct/", None),
        ("post", f"/history/{world['reading']}/correct/", {"action": "void", "reason": "bob"}),
        ("get", f"/side-effects/log/?protocol={p}", None),
        ("get", f"/metrics/log/?type=custom:{world['type']}", None),
        ("get", f"/data/report/?make=1&protocol={p}", None),
        ("get", f"/timeline/{p}/", None),
        ("get", f"/timeline/{p}/?range=all", None),
        ("post", "/accounts/tokens/", {"action": "revoke", "token": world["token"]}),
        ("post", "/reminders/", {"protocol": p, "email": p, "at-" + p: "08:00"}),
        ("get", f"/supplies/{world['supply']}/", None),
        ("post", f"/supplies/{world['supply']}/open/", {}),
        ("get", f"/supplies/{world['supply']}/reconstitute/", None),
        ("post", f"/supplies/{world['supply']}/reconstitute/", {"diluent": "2", "confirm": "1"}),
        ("post", f"/supplies/{world['supply']}/adjust/", {"amount": "1", "reason": "bob"}),
        ("post", f"/supplies/{world['supply']}/discard/", {"reason": "bob"}),
        ("post", "/doses/log/", {"amount": "10", "unit": "syringe_units", "supply": world["supply"]}),
    ]


def fingerprint():
    return list(Entry.objects.order_by("user_id", "seq").values_list("user_id", "seq", "hash"))


def test_bob_gets_404_on_every_api_url_holding_alice_s_ids(alice_world, bob_api):
    before = fingerprint()
    for method, path, body in api_attempts(alice_world):
        response = getattr(bob_api, method)(path, body) if body is not None else getattr(bob_api, method)(path)
        assert response.status_code == 404, (method, path, response.status_code)
        missing = path
        for key, value in alice_world.items():
            if key != "token":  # a small integer, not an id in any API path
                missing = missing.replace(value, MISSING)
        if missing != path:
            same = getattr(bob_api, method)(missing, body) if body is not None else getattr(bob_api, method)(missing)
            assert same.status_code == 404 and same.content == response.content, path
    assert fingerprint() == before


def test_bob_gets_404_on_every_page_holding_alice_s_ids(alice_world, bob):
    client = Client()
    client.force_login(bob)
    make_protocol_for_bob = client.post(
        "/protocols/new/", {"compound": "finasteride", "dose": "1", "unit": "mg", "route": "oral"}
    )
    assert make_protocol_for_bob.status_code == 302  # so /doses/log/ has something of bob's to show
    before = fingerprint()
    for method, path, data in web_attempts(alice_world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == 404, (method, path, response.status_code)
        assert b"ALICE-CANARY" not in response.content
    assert fingerprint() == before


def test_lists_never_show_another_user_s_rows(alice_world, bob, bob_api):
    for path in [
        "/api/v1/protocols",
        "/api/v1/doses",
        "/api/v1/doses?include=corrections",
        "/api/v1/ledger",
        "/api/v1/side-effects",
        "/api/v1/metrics",
        "/api/v1/metric-types",
        "/api/v1/supplies",
        "/api/v1/export.json",
        "/api/v1/export.fhir.json",
    ]:
        response = bob_api.get(path)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200
        assert b"ALICE-CANARY" not in content and alice_world["protocol"].encode() not in content
    assert bob_api.get("/api/v1/ledger").json()["items"] == []
    client = Client()
    client.force_login(bob)
    for path in [
        "/",
        "/protocols/",
        "/history/",
        "/doses/log/",
        "/side-effects/",
        "/metrics/",
        "/metrics/types/",
        "/supplies/",
        "/side-effects/log/",
        "/metrics/log/",
        "/data/",
        "/data/report/",
        "/data/import/",
        "/accounts/tokens/",
        "/accounts/two-step/",
        "/accounts/settings/",
        "/reminders/",
        "/data/export.json",
        "/data/export.fhir.json",
    ]:
        response = client.get(path)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, path
        assert b"ALICE-CANARY" not in content


def test_the_api_needs_a_token_and_pages_need_a_login(alice_world):
    anonymous = Client()
    for path in [
        "/api/v1/protocols",
        "/api/v1/doses",
        "/api/v1/ledger",
        "/api/v1/ledger/verify",
        f"/api/v1/protocols/{alice_world['protocol']}",
        "/api/v1/export.json",
        "/api/v1/export.csv.zip",
        "/api/v1/export.fhir.json",
    ]:
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.get("/api/v1/doses", headers={"Authorization": "Bearer sht_not-a-token"}).status_code == 401
    for path in [
        "/protocols/",
        "/history/",
        "/doses/log/",
        "/accounts/settings/",
        f"/protocols/{alice_world['protocol']}/",
        "/accounts/tokens/",
        "/accounts/delete/",
        "/accounts/password/",
        "/accounts/two-step/",
        "/data/",
        "/data/export.json",
        "/data/check/",
        "/data/import/",
        "/data/report/",
        "/welcome/",
    ]:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    for path in ["/accounts/password/reset/", "/accounts/password/reset/sent/", "/accounts/password/reset/done/"]:
        assert anonymous.get(path).status_code == 200, path
    # The code step of a log-in belongs to the session that passed the password step; without one, back to log-in.
    response = anonymous.get("/accounts/login/code/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    for path in [
        "/",
        "/accounts/signup/",
        "/accounts/login/",
        "/api/v1/openapi.json",
        "/guides/",
        "/api/v1/guides",
        "/sw.js",
        "/offline/",
    ]:
        assert anonymous.get(path).status_code == 200, path
