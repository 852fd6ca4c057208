"""The dashboard and the chart series are remembered per ledger head for a minute (shotlee/ledger/memo.py): a repeat
view reads almost nothing, and every write, void or change of preference shows on the very next view, within the
same minute (the clock is held still here, so only the head can tell the views apart)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shotlee.ledger import memo
from tests.conftest import make_protocol

NOW = datetime.now(UTC).replace(second=5, microsecond=0)


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """Every view and write in these tests happens at NOW, in one minute."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    memo.forget()
    yield
    memo.forget()


@pytest.fixture
def web(alice):
    client = Client()
    client.force_login(alice)
    return client


def series(api, pid):
    response = api.get(f"/api/v1/charts/protocols/{pid}")
    assert response.status_code == 200
    return response.json()


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def record(api, pid, hours_ago, amount="0.25"):
    at = NOW - timedelta(hours=hours_ago)
    response = api.post("/api/v1/doses", {"protocol": pid, "amount": amount, "occurred_at": at.isoformat()})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_repeat_view_reads_only_the_head(alice_api, web):
    pid = make_protocol(alice_api, starts_on=(NOW - timedelta(days=30)).date().isoformat())["id"]
    record(alice_api, pid, 200)
    first = queries(lambda: series(alice_api, pid))
    again = queries(lambda: series(alice_api, pid))
    assert again <= first - 5, (first, again)  # the doses, labs, side effects, status and adherence are not read
    page_first = queries(lambda: web.get("/"))
    page_again = queries(lambda: web.get("/"))
    assert page_again <= page_first - 8, (page_first, page_again)


def test_a_dose_a_void_and_a_correction_show_on_the_next_view_in_the_same_minute(alice_api, web):
    pid = make_protocol(alice_api, starts_on=(NOW - timedelta(days=30)).date().isoformat())["id"]
    first = record(alice_api, pid, 200)
    assert [d["status"] for d in series(alice_api, pid)["doses"]] == ["effective"]
    web.get("/")  # remembered now
    second = record(alice_api, pid, 2, "0.3")
    doses = series(alice_api, pid)["doses"]
    assert [d["amount"] for d in doses] == [0.25, 0.3]
    last = f'datetime="{(NOW - timedelta(hours=2)).isoformat()}"'
    assert last in web.get("/").content.decode()  # the card's last dose moved on too
    voided = alice_api.post(f"/api/v1/entries/{first['id']}/corrections", {"action": "void", "reason": "test"})
    assert voided.status_code == 201, voided.content
    assert [d["status"] for d in series(alice_api, pid)["doses"]] == ["voided", "effective"]
    corrected = alice_api.post(
        f"/api/v1/entries/{second['id']}/corrections", {"action": "correct", "reason": "typo", "amount": "0.35"}
    )
    assert corrected.status_code == 201, corrected.content
    shown = [d for d in series(alice_api, pid)["doses"] if d["status"] == "effective"]
    assert [d["amount"] for d in shown] == [0.35]


def test_preferred_units_and_ranges_are_part_of_what_is_remembered(alice, alice_api, web):
    pid = make_protocol(alice_api, starts_on=(NOW - timedelta(days=400)).date().isoformat())["id"]
    record(alice_api, pid, 24 * 200)
    assert series(alice_api, pid)["doses"] == []  # 90 days by default
    everything = alice_api.get(f"/api/v1/charts/protocols/{pid}", {"range": "all"}).json()
    assert len(everything["doses"]) == 1
    reading = alice_api.post(
        "/api/v1/metrics", {"type": "weight", "value": "100", "unit": "kg", "measured_at": NOW.isoformat()}
    )
    assert reading.status_code == 201, reading.content
    assert "100 kg" in web.get("/").content.decode().replace("\xa0", " ")
    alice.profile.units = '{"weight": "lb"}'  # outside the ledger: the head does not move
    alice.profile.save()
    assert "220.5 lb" in web.get("/").content.decode().replace("\xa0", " ")


def test_another_persons_views_are_never_served_from_the_memo(alice_api, bob_api, web):
    pid = make_protocol(alice_api, starts_on=(NOW - timedelta(days=30)).date().isoformat())["id"]
    record(alice_api, pid, 3)
    assert len(series(alice_api, pid)["doses"]) == 1
    assert bob_api.get(f"/api/v1/charts/protocols/{pid}").status_code == 404
    assert bob_api.get("/api/v1/charts/timeline").json() == {"items": []}


def test_a_reading_shows_on_the_metric_series_in_the_same_minute(alice, alice_api):
    def weights():
        response = alice_api.get("/api/v1/charts/metrics", {"type": "weight"})
        assert response.status_code == 200
        return response.json()["points"]["v"]

    assert weights() == []
    for value in ("100", "99"):
        reading = {"type": "weight", "value": value, "unit": "kg", "measured_at": NOW.isoformat()}
        assert alice_api.post("/api/v1/metrics", reading).status_code == 201
    assert weights() == [100.0, 99.0]
    alice.profile.units = '{"weight": "lb"}'
    alice.profile.save()
    assert weights() == [220.5, 218.3]


def test_a_new_protocol_and_a_stopped_one_show_on_the_next_dashboard(alice_api, web):
    first = make_protocol(alice_api, name="First one", starts_on=(NOW - timedelta(days=30)).date().isoformat())
    assert "First one" in web.get("/").content.decode()
    make_protocol(alice_api, name="Second one", starts_on=(NOW - timedelta(days=30)).date().isoformat())
    assert "Second one" in web.get("/").content.decode()
    stopped = alice_api.patch(f"/api/v1/protocols/{first['id']}", {"active": False})
    assert stopped.status_code == 200, stopped.content
    page = web.get("/").content.decode()
    assert "First one" not in page.split("Latest readings")[0] and "Second one" in page


def test_a_reading_shows_on_the_metrics_page_chart_in_the_same_minute(alice_api, web):
    def drawn():
        page = web.get("/metrics/", {"type": "weight"}).content.decode()
        body = page[page.index('id="metric-chart-data"') :] if 'id="metric-chart-data"' in page else page
        return body.count('"t": [') and body.split('"v": [')[1].split("]")[0]

    first = {"type": "weight", "value": "100", "unit": "kg", "measured_at": (NOW - timedelta(hours=2)).isoformat()}
    assert alice_api.post("/api/v1/metrics", first).status_code == 201
    assert drawn() == "100.0"
    second = {**first, "value": "99", "measured_at": NOW.isoformat()}
    assert alice_api.post("/api/v1/metrics", second).status_code == 201
    assert drawn() == "100.0, 99.0"
