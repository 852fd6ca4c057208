"""Reminders: a private .ics feed per user (RFC 5545), parsed back with icalendar; the secret URL rotates."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.test import Client

from shotlee.accounts.services import rotate_calendar_token
from tests.conftest import make_protocol


@pytest.fixture
def feed_url(alice):
    return f"/calendar/{rotate_calendar_token(alice)}.ics"


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    return [c for c in cal.walk("VEVENT")]


def test_the_feed_lists_upcoming_planned_doses_from_the_last_real_dose(alice_api, feed_url):
    protocol = make_protocol(alice_api, name="Sema", schedule={"every": 1, "unit": "weeks"})
    last = datetime.now(UTC) - timedelta(days=2)
    assert (
        alice_api.post(
            "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": last.isoformat()}
        ).status_code
        == 201
    )
    found = events(Client().get(feed_url))
    starts = [e.decoded("dtstart") for e in found]
    assert len(found) == 13  # a week after the last dose, then weekly for 90 days
    assert abs(starts[0] - (last + timedelta(weeks=1))) < timedelta(seconds=1)
    assert all(b - a == timedelta(weeks=1) for a, b in zip(starts, starts[1:], strict=False))
    assert str(found[0]["summary"]) == "Dose due: Sema 0.25 mg"
    assert len({str(e["uid"]) for e in found}) == len(found)
    assert found[0].walk("VALARM")


def test_a_ladder_shows_the_dose_of_the_step_in_force(alice_api, feed_url):
    ladder = [{"dose": "0.25", "weeks": 4}, {"dose": "0.5", "weeks": 4}, {"dose": "1"}]
    protocol = make_protocol(alice_api, name="Sema", schedule={"every": 1, "unit": "weeks"}, ladder=ladder)
    first = datetime.now(UTC) - timedelta(days=1)
    alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": first.isoformat()})
    summaries = [str(e["summary"]) for e in events(Client().get(feed_url))]
    # Doses at weeks 1-3 after the first are still step one; week 4 starts 0.5 mg, week 8 starts 1 mg.
    assert summaries[0].endswith("0.25 mg") and summaries[2].endswith("0.25 mg")
    assert summaries[3].endswith("0.5 mg") and summaries[6].endswith("0.5 mg")
    assert summaries[7].endswith("1 mg")


def test_stopped_protocols_and_other_users_do_not_appear(alice_api, bob_api, feed_url):
    protocol = make_protocol(alice_api, name="Stopped one", schedule={"every": 1, "unit": "days"})
    alice_api.patch(f"/api/v1/protocols/{protocol['id']}", {"active": False})
    make_protocol(bob_api, name="BOB-CANARY", schedule={"every": 1, "unit": "days"})
    response = Client().get(feed_url)
    assert events(response) == []
    assert b"BOB-CANARY" not in response.content


def test_rotating_the_secret_kills_the_old_url(alice, feed_url):
    assert Client().get(feed_url).status_code == 200
    new = f"/calendar/{rotate_calendar_token(alice)}.ics"
    assert Client().get(feed_url).status_code == 404
    assert Client().get(new).status_code == 200
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_the_settings_page_creates_the_link_and_shows_it_once(alice):
    client = Client()
    client.force_login(alice)
    page = client.post("/accounts/settings/", {"calendar": "rotate"}).content.decode()
    assert "Your private calendar link" in page
    url = page.split('id="calendar-url" readonly value="')[1].split('"')[0]
    assert Client().get(url.replace("http://testserver", "")).status_code == 200
    assert "Your private calendar link" not in client.get("/accounts/settings/").content.decode()


def test_a_paused_protocol_has_no_next_due_time_and_resumes_from_the_last_real_dose(alice_api):
    protocol = make_protocol(alice_api, schedule={"every": 1, "unit": "weeks"})
    last = datetime.now(UTC) - timedelta(days=20)
    alice_api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": last.isoformat()})
    alice_api.patch(f"/api/v1/protocols/{protocol['id']}", {"active": False})
    paused = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert paused["active"] is False and paused["next_due_at"] is None and paused["missed"] == 0
    alice_api.patch(f"/api/v1/protocols/{protocol['id']}", {"active": True})
    resumed = alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()
    due = datetime.fromisoformat(resumed["next_due_at"].replace("Z", "+00:00"))
    assert abs(due - (last + timedelta(weeks=1))) < timedelta(seconds=1) and resumed["missed"] == 2


@pytest.mark.parametrize(
    "plan",
    [
        {"schedule": {"every": 3, "unit": "months"}},  # the dutasteride mesotherapy's quarterly regimen
        {"schedule": {"every": 13, "unit": "weeks"}},  # 91 days: past a 90-day horizon
        {"interval_hours": "2184.5"},  # a fractional number of hours: no calendar plan, still two doses
    ],
)
def test_a_quarterly_protocol_shows_its_next_two_doses_however_far_ahead(alice_api, feed_url, plan):
    protocol = make_protocol(alice_api, name="Quarterly", **plan)
    last = datetime.now(UTC) - timedelta(hours=1)
    response = alice_api.post(
        "/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": last.isoformat()}
    )
    assert response.status_code == 201, response.content
    starts = [e.decoded("dtstart") for e in events(Client().get(feed_url))]
    assert len(starts) == 2, starts
    assert starts[0] - last > timedelta(days=88) and starts[1] - starts[0] > timedelta(days=88)
    due = datetime.fromisoformat(alice_api.get(f"/api/v1/protocols/{protocol['id']}").json()["next_due_at"])
    assert abs(starts[0] - due) < timedelta(seconds=1)
