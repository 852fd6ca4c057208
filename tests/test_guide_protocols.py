"""Protocols that do what their guide says (issue 13): an optional step is offered, never prefilled, and taken only
when the person confirms it (a recorded protocol change); a finite course ends; sites come from the regimen; a
mesotherapy session records every zone treated; the label's missed-dose advice shows once a dose is late enough."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from shotlee.accounts.services import issue_token
from shotlee.guides.loader import load_guides
from shotlee.ledger.models import Entry
from shotlee.protocols.models import Protocol
from tests.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def guides(db):
    load_guides()


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def api(alice) -> Api:
    return Api(issue_token(alice))


def track(api: Api, regimen: str, guide: str = "semaglutide", **overrides) -> dict:
    response = api.post("/api/v1/protocols", {"guide": guide, "regimen": regimen, **overrides})
    assert response.status_code == 201, response.content
    return response.json()


def weekly_doses(api: Api, protocol: dict, count: int, first_weeks_ago: int, amount: str = "0.25") -> None:
    for i in range(count):
        at = (datetime.now(UTC) - timedelta(weeks=first_weeks_ago - i)).isoformat()
        body = {
            "protocol": protocol["id"],
            "amount": amount,
            "occurred_at": at,
            "acknowledge": ["over_single_max", "class_overlap"],
        }
        assert api.post("/api/v1/doses", body).status_code == 201, at


def amount_offered(web: Client, protocol: dict) -> str:
    page = web.get(f"/doses/log/?protocol={protocol['id']}").content.decode()
    return re.search(r'name="amount"[^>]*value="([^"]*)"', page).group(1)


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_ozempic_ladder_never_prefills_an_optional_step(web, api):
    protocol = track(api, "ozempic-weekly-ladder")
    assert [s.get("optional", False) for s in protocol["ladder"]] == [False, False, True, True]
    weekly_doses(api, protocol, 14, first_weeks_ago=14)
    assert amount_offered(web, protocol) == "0.5"  # not 1 mg at week 13, not 2 mg at week 14
    body = api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["ladder_step"] == 2 and body["dose_now"] == "0.5"
    page = page_text(web.get(f"/doses/log/?protocol={protocol['id']}"))
    assert "The label allows step 3" in page and "I am moving to step 3 (1 mg)" in page
    assert "never moves you there by itself" in page


def test_a_confirmed_step_is_a_recorded_protocol_change(web, api, alice):
    protocol = track(api, "ozempic-weekly-ladder")
    weekly_doses(api, protocol, 9, first_weeks_ago=15)
    versions_before = Entry.objects.filter(user=alice, kind="protocol").count()
    here = f"/doses/log/?protocol={protocol['id']}"
    response = web.post(f"/protocols/{protocol['id']}/step/", {"step": "3", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert amount_offered(web, protocol) == "1"
    version = Entry.objects.filter(user=alice, kind="protocol").order_by("-seq").first()
    assert Entry.objects.filter(user=alice, kind="protocol").count() == versions_before + 1
    assert version.data["action"] == "step" and version.data["settings"]["confirmed_step"] == 2
    assert "Moved to step 3" in page_text(web.get("/history/"))
    # 2 mg is optional too: offered, not prefilled, however many doses follow.
    weekly_doses(api, protocol, 6, first_weeks_ago=6, amount="1")
    assert amount_offered(web, protocol) == "1"
    again = web.post(f"/protocols/{protocol['id']}/step/", {"step": "3"})
    assert again.status_code == 302  # already confirmed: a message, nothing recorded
    assert Entry.objects.filter(user=alice, kind="protocol").count() == versions_before + 1


def test_a_step_cannot_be_confirmed_on_another_user_s_protocol(api, bob):
    protocol = track(api, "ozempic-weekly-ladder")
    intruder = Client()
    intruder.force_login(bob)
    assert intruder.post(f"/protocols/{protocol['id']}/step/", {"step": "3"}).status_code == 404


def test_wegovy_s_fixed_ladder_moves_on_with_doses_taken(web, api):
    protocol = track(api, "wegovy-weekly-ladder")
    weekly_doses(api, protocol, 4, first_weeks_ago=4)
    assert amount_offered(web, protocol) == "0.5"
    page = page_text(web.get(f"/protocols/{protocol['id']}/"))
    assert "Step 2 of 5: 0.5 mg." in page and "Your plan moves to 1 mg (step 3)" in page


def test_a_finite_course_counts_its_sessions_and_ends(web, api, alice):
    protocol = track(api, "weekly-course-1-mg-7-sessions", guide="dutasteride-mesotherapy")
    assert protocol["course"] == {"sessions": 7, "offsets_weeks": [0, 1, 2, 3, 5, 7, 11]}
    start = datetime.now(UTC) - timedelta(weeks=12)
    for week in (0, 1, 2):
        at = (start + timedelta(weeks=week)).isoformat()
        body = {"protocol": protocol["id"], "amount": "1", "occurred_at": at, "acknowledge": ["class_overlap"]}
        assert api.post("/api/v1/doses", body).status_code == 201
    assert "Session 4 of 7" in page_text(web.get(f"/protocols/{protocol['id']}/"))
    assert "session 4 of 7 next" in page_text(web.get("/"))  # the dashboard says where the course stands
    for week in (3, 5, 7, 11):
        at = (start + timedelta(weeks=week)).isoformat()
        assert (
            api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "1", "occurred_at": at}).status_code == 201
        )
    body = api.get(f"/api/v1/protocols/{protocol['id']}").json()
    assert body["next_due_at"] is None and body["missed"] == 0  # over: nothing due, nothing missed, forever
    assert "Course complete: all 7 sessions done." in page_text(web.get(f"/protocols/{protocol['id']}/"))
    dashboard = page_text(web.get("/"))
    assert "all 7 sessions done" in dashboard and "overdue" not in dashboard


def test_sites_come_from_the_regimen(api):
    xyosted = track(api, "xyosted-75-mg-weekly", guide="testosterone-enanthate")
    im = track(api, "im-100-to-200-mg-every-1-to-4-weeks", guide="testosterone-enanthate")
    assert xyosted["sites"] and all("abdomen" in site for site in xyosted["sites"])
    assert im["sites"] and not any("abdomen" in site for site in im["sites"])


def test_a_mesotherapy_session_records_every_zone_treated(web, api, alice):
    protocol = track(api, "quarterly-0-1-mg", guide="dutasteride-mesotherapy")
    page = web.get(f"/doses/log/?protocol={protocol['id']}").content.decode()
    zones = re.findall(r'<input type="checkbox" name="sites" value="([^"]+)" checked>', page)
    assert zones == protocol["sites"] and len(zones) == 7  # every zone, pre-ticked: a session treats them all
    chosen = zones[:3]
    response = web.post(
        "/doses/log/",
        {"protocol": protocol["id"], "amount": "0.1", "unit": "mg", "sites": chosen, "client_entry_id": ""},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    dose = Entry.objects.get(user=alice, kind="dose")
    assert dose.data["sites"] == chosen and dose.data["site"] == ", ".join(chosen)
    listed = api.get("/api/v1/doses").json()["items"][0]
    assert listed["sites"] == chosen


def test_a_zone_that_is_not_the_protocol_s_is_refused(api):
    protocol = track(api, "quarterly-0-1-mg", guide="dutasteride-mesotherapy")
    response = api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.1", "sites": ["left knee"]})
    assert response.status_code == 422 and "sites" in str(response.json())


def test_the_label_s_missed_dose_advice_shows_once_a_dose_is_late_enough(web, api):
    protocol = track(api, "ozempic-weekly-ladder")
    weekly_doses(api, protocol, 1, first_weeks_ago=1)  # due today: not late
    assert "Missed dose." not in page_text(web.get(f"/doses/log/?protocol={protocol['id']}"))
    later = track(api, "ozempic-weekly-ladder", name="Ozempic (late)")
    weekly_doses(api, later, 1, first_weeks_ago=2)  # due a week ago: more than the label's 5 days
    page = page_text(web.get(f"/doses/log/?protocol={later['id']}"))
    assert "Missed dose." in page and "within 5 days" in page


def test_the_protocol_page_and_the_dose_form_show_the_guide_s_safety_in_short(web, api):
    protocol = track(api, "ozempic-weekly-ladder")
    for url in (f"/protocols/{protocol['id']}/", f"/doses/log/?protocol={protocol['id']}"):
        page = page_text(web.get(url))
        assert "Boxed warning" in page and "Full safety information" in page


def test_the_protocol_page_names_the_guide_not_its_slug(web, api):
    protocol = track(api, "ozempic-weekly-ladder")
    page = page_text(web.get(f"/protocols/{protocol['id']}/"))
    assert "Semaglutide (weekly injection)" in page
    assert Protocol.objects.get(uid=protocol["id"]).current.regimen == "ozempic-weekly-ladder"


def test_changing_a_protocol_on_its_page_keeps_what_the_form_does_not_show(web, api):
    """The course, the site mode, the confirmed step and the optional steps survive a change made on the form."""
    ozempic = track(api, "ozempic-weekly-ladder")
    course = track(api, "weekly-course-1-mg-7-sessions", guide="dutasteride-mesotherapy")
    for protocol in (ozempic, course):
        page = web.get(f"/protocols/{protocol['id']}/edit/").content.decode()
        values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
        values.update(
            {"name": protocol["name"] + " (mine)", "unit": "mg", "route": protocol["route"], "every_unit": "weeks"}
        )
        assert web.post(f"/protocols/{protocol['id']}/edit/", values).status_code == 302
        changed = api.get(f"/api/v1/protocols/{protocol['id']}").json()
        assert changed["name"].endswith("(mine)")
        assert changed["ladder"] == protocol["ladder"]
        assert changed["course"] == protocol["course"] and changed["sites_mode"] == protocol["sites_mode"]
