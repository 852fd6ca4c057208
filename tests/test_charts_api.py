"""GET /api/v1/charts/...: doses flagged, the level curve with its source, why there is none, ranges, the pixel
budget, 404 for another user's protocol, and a query count that does not grow with the history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shotlee.guides.loader import load_guides
from shotlee.protocols.models import Protocol
from tests.charts_support import seed_doses, seed_readings
from tests.conftest import make_protocol


@pytest.fixture
def guides(db):
    load_guides()


def from_guide(api, slug, regimen, **extra):
    response = api.post("/api/v1/protocols", {"guide": slug, "regimen": regimen, **extra})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_protocol_chart_flags_voided_and_corrected_doses_and_names_the_source(guides, alice, alice_api):
    start = (datetime.now(UTC) - timedelta(days=60)).date().isoformat()
    pid = from_guide(alice_api, "testosterone-cypionate", "every-2-weeks-200-mg-canada", starts_on=start)
    now = datetime.now(UTC)
    seed_doses(alice, pid, [now - timedelta(days=d) for d in (42, 28, 14)], "200")
    doses = alice_api.get("/api/v1/doses").json()["items"]
    newest, middle = doses[0]["id"], doses[1]["id"]
    assert (
        alice_api.post(f"/api/v1/entries/{newest}/corrections", {"action": "void", "reason": "test"}).status_code == 201
    )
    fixed = alice_api.post(
        f"/api/v1/entries/{middle}/corrections", {"action": "correct", "reason": "t", "amount": "150"}
    )
    assert fixed.status_code == 201, fixed.content

    body = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "90d"}).json()
    statuses = sorted(d["status"] for d in body["doses"])
    assert statuses == ["corrected", "effective", "effective", "voided"]
    assert [d["amount"] for d in body["doses"] if d["status"] == "effective"] == [200.0, 150.0]
    level = body["level"]
    assert level["available"] and level["source"]["citation"] and level["half_life_hours"] == 192
    assert level["past"]["t"] and level["projection"]["t"][0] >= level["past"]["t"][-1] - 1
    # The voided dose left the curve: at its time the level only decays (a new dose would make it jump).
    t, v = level["past"]["t"], level["past"]["v"]
    voided_at = next(d["t"] for d in body["doses"] if d["status"] == "voided")
    before = max(i for i, x in enumerate(t) if x < voided_at)
    assert v[before + 1] <= v[before]
    assert len(t) <= 2000 and len(level["projection"]["t"]) <= 2000


def test_mesotherapy_has_no_curve_and_says_why(guides, alice_api):
    pid = from_guide(alice_api, "dutasteride-mesotherapy", "quarterly-0-1-mg")
    level = alice_api.get(f"/api/v1/charts/protocols/{pid}").json()["level"]
    assert not level["available"] and "scalp" in level["why_not"]


def test_a_protocol_without_a_guide_says_why_it_has_no_curve(alice_api):
    pid = make_protocol(alice_api)["id"]
    level = alice_api.get(f"/api/v1/charts/protocols/{pid}").json()["level"]
    assert not level["available"] and "guide" in level["why_not"]


def test_another_user_s_protocol_is_a_404_like_a_missing_one(alice_api, bob_api):
    pid = make_protocol(alice_api)["id"]
    theirs = bob_api.get(f"/api/v1/charts/protocols/{pid}")
    missing = bob_api.get("/api/v1/charts/protocols/00000000-0000-4000-8000-000000000000")
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
    assert bob_api.get("/api/v1/charts/timeline").json() == {"items": []}


def test_bad_ranges_and_metric_types_name_the_field(alice_api):
    pid = make_protocol(alice_api)["id"]
    bad = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "2w"})
    assert bad.status_code == 422 and "range" in bad.content.decode()
    assert alice_api.get("/api/v1/charts/metrics", {"type": "nonsense"}).status_code == 404
    missing = alice_api.get("/api/v1/charts/metrics", {"range": "all"})
    assert missing.status_code == 422 and "type" in missing.content.decode()


def test_metric_series_is_in_the_preferred_unit_with_dose_markers(alice, alice_api):
    alice.profile.units = '{"weight": "lb"}'
    alice.profile.save()
    pid = make_protocol(alice_api)["id"]
    now = datetime.now(UTC)
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=d) for d in range(5)], "100")
    seed_doses(alice, pid, [now - timedelta(days=2)], "0.25")
    body = alice_api.get("/api/v1/charts/metrics", {"type": "weight", "range": "30d"}).json()
    assert body["unit"] == "lb" and body["points"]["v"][0] == pytest.approx(220.5, abs=0.1)
    assert len(body["doses"]) == 1


def queries(api, path, params):
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, params).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_the_history(guides, alice, alice_api):
    start = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    pid = from_guide(alice_api, "testosterone-cypionate", "every-2-weeks-200-mg-canada", starts_on=start)
    now = datetime.now(UTC)
    seed_doses(alice, pid, [now - timedelta(days=300)], "200")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=300)])
    small = [
        queries(alice_api, f"/api/v1/charts/protocols/{pid}", {"range": "all"}),
        queries(alice_api, "/api/v1/charts/metrics", {"type": "weight", "range": "all"}),
        queries(alice_api, "/api/v1/charts/timeline", {"range": "1y"}),
    ]
    seed_doses(alice, pid, [now - timedelta(days=299 - d) for d in range(0, 290, 2)], "200")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=299 - d) for d in range(290)])
    large = [
        queries(alice_api, f"/api/v1/charts/protocols/{pid}", {"range": "all"}),
        queries(alice_api, "/api/v1/charts/metrics", {"type": "weight", "range": "all"}),
        queries(alice_api, "/api/v1/charts/timeline", {"range": "1y"}),
    ]
    assert large == small


def test_a_protocol_chart_carries_weight_and_blood_pressure_in_the_preferred_units(alice, alice_api, bob_api):
    alice.profile.units = '{"weight": "lb"}'
    alice.profile.save()
    pid = make_protocol(alice_api)["id"]
    now = datetime.now(UTC)
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=d) for d in (60, 3, 2, 1)], "100")
    for days, high, low in ((4, "128", "84"), (1, "121", "79")):
        reading = {"type": "blood_pressure", "value": high, "value2": low, "unit": "mmHg"}
        reading["measured_at"] = (now - timedelta(days=days)).isoformat()
        assert alice_api.post("/api/v1/metrics", reading).status_code == 201

    body = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "30d"}).json()
    by_type = {m["type"]: m for m in body["metrics"]}
    weight, pressure = by_type["weight"], by_type["blood_pressure"]
    assert weight["unit"] == "lb" and weight["count"] == 3  # the reading 60 days ago is outside the range
    assert weight["points"]["v"] == [pytest.approx(220.5, abs=0.1)] * 3 and weight["points"]["v2"] == []
    assert pressure["unit"] == "mmHg" and pressure["points"]["v"] == [128, 121] and pressure["points"]["v2"] == [84, 79]
    assert pressure["latest"] == "121/79" and (pressure["low2"], pressure["high2"]) == ("79", "84")
    assert all(len(m["points"]["t"]) <= 2000 for m in body["metrics"]) and body["time_zone"]
    # "All" starts at the protocol's first dose, and so do its metrics.
    seed_doses(alice, pid, [now - timedelta(days=50)], "0.25")
    everything = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "all"}).json()
    assert [(m["type"], m["count"]) for m in everything["metrics"]] == [("weight", 3), ("blood_pressure", 2)]
    assert "metrics" in alice_api.get("/api/v1/charts/timeline").json()["items"][0]
    theirs = bob_api.get(f"/api/v1/charts/protocols/{pid}")
    assert theirs.status_code == 404 and "Weight" not in theirs.content.decode()


def test_the_openapi_document_describes_the_metric_series(alice_api):
    schema = alice_api.get("/api/v1/openapi.json").json()
    chart = schema["components"]["schemas"]["ProtocolChart"]
    assert {"metrics", "time_zone"} <= set(chart["properties"])
    line = schema["components"]["schemas"]["MetricLine"]
    assert {"unit", "points", "latest"} <= set(line["properties"])
    ok = schema["paths"]["/api/v1/charts/protocols/{protocol_id}"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ProtocolChart")


def test_confirming_a_step_later_never_relabels_the_doses_before_it(guides, alice, alice_api):
    pid = from_guide(alice_api, "semaglutide", "ozempic-weekly-ladder")
    now = datetime.now(UTC)
    for week in range(9, 0, -1):  # 0.25 mg for four weeks, then 0.5 mg
        body = {
            "protocol": pid,
            "amount": "0.25" if week > 5 else "0.5",
            "occurred_at": (now - timedelta(weeks=week)).isoformat(),
        }
        assert alice_api.post("/api/v1/doses", {**body, "acknowledge": ["class_overlap"]}).status_code == 201

    def steps():
        doses = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "1y"}).json()["doses"]
        return [d["step"] for d in doses]

    before = steps()
    assert before == [1, 1, 1, 1, 2, 2, 2, 2, 2]
    web = Client()
    web.force_login(alice)
    assert web.post(f"/protocols/{pid}/step/", {"step": "3"}).status_code == 302  # "I am moving to step 3"
    assert Protocol.objects.get(uid=pid).current.confirmed_step == 2
    assert steps() == before  # the doses were taken at step 1 and 2; step 3 holds from the confirmation on


def test_the_projection_fits_the_range_and_never_assumes_an_overdue_dose_is_taken(guides, alice, alice_api):
    now = datetime.now(UTC)
    pid = from_guide(
        alice_api, "dutasteride-oral", "daily-0-5-mg", starts_on=(now - timedelta(days=30)).date().isoformat()
    )
    seed_doses(alice, pid, [now - timedelta(days=d, hours=30) for d in range(20)], "0.5")  # last one 30 h ago
    week = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "7d"}).json()["level"]
    ahead = week["projection"]["t"][-1] - now.timestamp()
    assert ahead <= 7 * 86400 / 4 + 60, ahead / 3600  # a quarter of the week, not two half-lives (70 days)
    assert week["planned"] and min(week["planned"]) > now.timestamp()  # overdue: no dose drawn at "now"
    assert min(week["planned"]) - now.timestamp() < 86400  # the next planned time after now, a day apart


def test_dose_markers_keep_to_the_pixel_budget_and_keep_every_voided_one(alice, alice_api):
    now = datetime.now(UTC)
    pid = make_protocol(alice_api, starts_on=(now - timedelta(days=100)).date().isoformat())["id"]
    seed_doses(alice, pid, [now - timedelta(days=80) + timedelta(minutes=30 * k) for k in range(2500)], "0.25")
    doses = alice_api.get("/api/v1/doses", {"limit": 1}).json()["items"]
    voided = alice_api.post(f"/api/v1/entries/{doses[0]['id']}/corrections", {"action": "void", "reason": "test"})
    assert voided.status_code == 201, voided.content
    body = alice_api.get(f"/api/v1/charts/protocols/{pid}").json()
    assert body["doses_total"] == 2500 and len(body["doses"]) <= 2000
    assert [d["status"] for d in body["doses"]].count("voided") == 1
    times = [d["t"] for d in body["doses"]]
    assert times == sorted(times) and len(times) >= 1990  # spread over the range, not the newest 2,000 only
    assert times[0] - (now - timedelta(days=80)).timestamp() < 3 * 3600
