"""The dashboard, the timelines, the site map, the calibration and the metric chart as pages (server side)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shotlee.accounts.services import issue_token
from shotlee.charts.sites import rotation
from shotlee.guides.loader import load_guides
from shotlee.lib.when import duration_hours
from tests.charts_support import seed_doses, seed_readings
from tests.conftest import Api, make_protocol, make_user


@pytest.fixture
def guides(db):
    load_guides()


@pytest.fixture
def web(alice):
    client = Client()
    client.force_login(alice)
    return client


def from_guide(api, slug, regimen, **extra):
    response = api.post("/api/v1/protocols", {"guide": slug, "regimen": regimen, **extra})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_new_person_sees_where_to_start(web):
    page = web.get("/").content.decode()
    assert "Start from a guide" in page and "No readings yet" in page


def test_the_dashboard_puts_overdue_first_with_a_countdown_and_the_year_when_not_this_year(alice, alice_api, web):
    now = datetime.now(UTC)
    # Next year's first day: always another year, and never more than a year ahead (such a start is refused).
    next_year = date(now.year + 1, 1, 1)
    later = make_protocol(alice_api, name="Later one", starts_on=next_year.isoformat())
    late = make_protocol(alice_api, name="Late one", starts_on=(now - timedelta(days=20)).date().isoformat())
    seed_doses(alice, late["id"], [now - timedelta(days=10)], "0.25")
    page = web.get("/").content.decode()
    assert page.index("Late one") < page.index("Later one")
    assert "overdue</strong>" in page and "days overdue" in page
    assert str(next_year.year) in page.split("Later one")[1].split("</dd>")[1]
    assert 'id="chart-data"' in page and later["id"] in page


@pytest.mark.parametrize("path", ["/", "/timeline/{pid}/", "/timeline/", "/metrics/?type=weight"])
def test_chart_pages_read_the_same_statements_whatever_the_history(path, alice, alice_api, web):
    now = datetime.now(UTC)
    pid = make_protocol(alice_api, starts_on=(now - timedelta(days=400)).date().isoformat())["id"]
    seed_doses(alice, pid, [now - timedelta(days=300)], "0.25")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=300)])
    url = path.format(pid=pid)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert web.get(url).status_code == 200
        return len(captured)

    small = count()
    seed_doses(alice, pid, [now - timedelta(days=299 - d) for d in range(0, 290, 7)], "0.25")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=299 - d) for d in range(290)])
    assert count() == small


def test_the_dashboard_shows_the_next_step_as_the_persons_plan(guides, alice, alice_api, web):
    now = datetime.now(UTC)
    pid = from_guide(alice_api, "semaglutide", "ozempic-weekly-ladder")
    for week in (3, 2, 1):
        body = {"protocol": pid, "amount": "0.25", "occurred_at": (now - timedelta(weeks=week)).isoformat()}
        assert alice_api.post("/api/v1/doses", {**body, "acknowledge": ["class_overlap"]}).status_code == 201
    card = web.get("/").content.decode().split("<dt>Step</dt>")[1].split("</dl>")[0]
    assert "1 of 4: 0.25 mg" in card and "<dt>Your plan</dt><dd>step 2, 0.5 mg, from" in card
    assert "No doses yet" not in web.get("/").content.decode()
    for week in range(8, 3, -1):  # five weeks before those three: step 2 is done, step 3 is optional
        body = {"protocol": pid, "amount": "0.25", "occurred_at": (now - timedelta(weeks=week, days=3)).isoformat()}
        assert alice_api.post("/api/v1/doses", {**body, "acknowledge": ["class_overlap"]}).status_code == 201
    card = web.get("/").content.decode().split("<dt>Step</dt>")[1].split("</dl>")[0]
    assert "2 of 4: 0.5 mg" in card and "step 3, 1 mg, only if you confirm it" in card


def test_a_protocol_whose_route_is_not_the_regimens_draws_no_curve_and_says_why(guides, alice, alice_api):
    pid = from_guide(alice_api, "finasteride-oral", "daily-1-mg")
    changed = alice_api.patch(f"/api/v1/protocols/{pid}", {"route": "topical"})
    assert changed.status_code == 200, changed.content
    level = alice_api.get(f"/api/v1/charts/protocols/{pid}").json()["level"]
    assert not level["available"] and "measured for oral use and this protocol is topical" in level["why_not"]


def test_mesotherapy_timeline_says_why_and_maps_the_scalp_zones(guides, alice, alice_api, web):
    pid = from_guide(alice_api, "dutasteride-mesotherapy", "quarterly-0-1-mg")
    page = web.get(f"/timeline/{pid}/").content.decode()
    assert "No level curve" in page and "scalp dermis" in page
    assert "Scalp zones seen from above" in page and "vertex/crown" in page


def test_sites_place_known_words_and_keep_the_rest_in_the_table():
    doses = [
        {"status": "effective", "t": 10.0, "sites": ["abdomen left"]},
        {"status": "voided", "t": 20.0, "sites": ["abdomen right"]},
        {"status": "effective", "t": 30.0, "sites": ["behind the ear"]},
    ]
    effects = [{"site": "Abdomen Left", "symptom": "redness", "severity": 3, "t": 11.0}]
    sites = rotation(["abdomen left", "abdomen right", "left ventrogluteal"], doses, effects)
    by_name = {s.name: s for s in sites}
    assert by_name["abdomen left"].last_used == 10.0 and by_name["abdomen left"].reactions
    assert by_name["abdomen right"].uses == 0  # the voided dose does not count
    assert by_name["abdomen left"].x > by_name["abdomen right"].x  # front view: your left on the right
    assert by_name["left ventrogluteal"].drawing == "body" and by_name["behind the ear"].drawing == ""


def cypionate_with_labs(alice, alice_api):
    """Testosterone cypionate every two weeks, four doses, and four total-testosterone labs tied to it."""
    now = datetime.now(UTC)
    pid = from_guide(
        alice_api,
        "testosterone-cypionate",
        "every-2-weeks-200-mg-canada",
        starts_on=(now - timedelta(days=60)).date().isoformat(),
    )
    seed_doses(alice, pid, [now - timedelta(days=d) for d in (56, 42, 28, 14)], "200")
    for days, value in ((50, "20"), (35, "22"), (20, "21"), (5, "24")):
        at = (now - timedelta(days=days)).isoformat()
        lab = {"type": "testosterone_total", "value": value, "unit": "nmol/L", "measured_at": at, "protocol": pid}
        response = alice_api.post("/api/v1/metrics", lab)
        assert response.status_code == 201, response.content
    return pid


def test_labs_sit_beside_the_estimate_and_the_personal_scale_is_applied_only_when_chosen(guides, alice, alice_api, web):
    pid = cypionate_with_labs(alice, alice_api)
    page = web.get(f"/timeline/{pid}/").content.decode()
    assert "Your labs beside the estimate" in page and "Your personal scale" in page
    assert "the half-life that fits them best" in page
    assert "scaled to your labs" not in page  # shown, never applied by itself
    chosen = web.get(f"/timeline/{pid}/", {"calibrated": "1", "range": "90d"}).content.decode()
    assert "scaled to your labs (nmol/L)" in chosen and "Show the plain estimate again" in chosen
    assert "calibrated=1" in chosen.split('aria-label="Time range"')[1].split("</nav>")[0]  # ranges keep the choice
    plain_half_life = chart_data(page)["level"]["half_life_hours"]
    own = web.get(f"/timeline/{pid}/", {"calibrated": "2", "range": "90d"}).content.decode()
    level = chart_data(own)["level"]
    assert level["personal_half_life"] and level["half_life_hours"] != plain_half_life
    assert f"and your half-life of {duration_hours(level['half_life_hours'])} (nmol/L)" in own
    assert level["lab_type"] == "testosterone_total"  # the labs drawn on the curve's own scale
    assert "yours, fitted to your labs and chosen by you" in own
    assert chart_data(web.get(f"/timeline/{pid}/").content.decode())["level"]["half_life_hours"] == plain_half_life


def chart_data(page):
    """The first chart's series, as the page embeds them."""
    start = page.index('id="chart-data"')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)["items"][0]


def test_the_metrics_page_draws_the_chosen_metric_in_the_preferred_unit(alice, alice_api, web):
    alice.profile.units = '{"weight": "lb"}'
    alice.profile.save()
    now = datetime.now(UTC)
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=d) for d in range(3)], "100")
    page = web.get("/metrics/", {"type": "weight"}).content.decode()
    assert 'data-chart="metric"' in page and "Weight in lb" in page and "220.5" in page
    assert "Choose one metric above" in web.get("/metrics/").content.decode()


def test_the_dashboard_counts_the_record_with_thousands_separated(alice, alice_api, web):
    now = datetime.now(UTC)
    pid = make_protocol(alice_api, starts_on=(now - timedelta(days=400)).date().isoformat())["id"]
    seed_doses(alice, pid, [now - timedelta(days=390, minutes=m) for m in range(1000)], "0.25")
    page = web.get("/").content.decode()
    assert "Your record holds 1,001 entries" in page  # the protocol and 1,000 doses


def test_the_timeline_page_carries_weight_and_blood_pressure_and_says_them_in_words(alice, alice_api, web):
    alice.profile.units = '{"weight": "lb"}'
    alice.profile.save()
    now = datetime.now(UTC)
    pid = make_protocol(alice_api, starts_on=(now - timedelta(days=20)).date().isoformat())["id"]
    seed_doses(alice, pid, [now - timedelta(days=10)], "0.25")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=d) for d in (3, 2)], "100")
    reading = {"type": "blood_pressure", "value": "121", "value2": "79", "unit": "mmHg"}
    assert alice_api.post("/api/v1/metrics", reading).status_code == 201
    page = web.get(f"/timeline/{pid}/").content.decode()
    charts = json.loads(page.split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    assert [m["type"] for m in charts["items"][0]["metrics"]] == ["weight", "blood_pressure"]
    assert "Weight on its own axis: 2 readings in this range, each 220.5 lb" in page
    assert "systolic 121 to 121 and diastolic 79 to 79 mmHg, the latest 121/79 mmHg" in page
    assert "Weight: 220.5 lb" in page and "Blood pressure: 121/79 mmHg" in page  # the table of readings
    everything = web.get("/timeline/").content.decode()
    assert "Weight on its own axis" in everything
    dashboard = web.get("/").content.decode()
    assert '"metrics"' not in dashboard.split('id="chart-data"')[1]  # the small charts stay light


def test_a_lab_drawn_months_ago_keeps_its_tile_among_daily_readings_with_its_change_in_units(alice, web):
    now = datetime.now(UTC)
    days = [now - timedelta(days=d) for d in range(1, 41)]
    for key, name, unit in (("weight", "Weight", "kg"), ("resting_hr", "Resting heart rate", "bpm"),
                            ("body_fat", "Body fat", "%"), ("waist", "Waist", "cm")):  # fmt: skip
        seed_readings(alice, key, name, unit, days, "80")
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(hours=1)], "79.5")
    seed_readings(
        alice, "testosterone_total", "Total testosterone", "nmol/L", [now - timedelta(days=d) for d in (150, 60)], "20"
    )
    page = web.get("/").content.decode()
    tiles = page.split("Latest readings")[1]
    assert "Total testosterone" in tiles  # 161 newer readings would have pushed it off
    assert "↓ -0.5 kg" in tiles and "→ +0.00 nmol/L" in tiles


def test_the_dashboard_names_the_year_by_the_persons_calendar_not_utcs(db, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 31, 12, 0, tzinfo=UTC))
    kiri = make_user("kiri", "Pacific/Kiritimati")  # UTC+14: 31 Dec 12:00 UTC is already 1 Jan there
    api = Api(issue_token(kiri))
    web = Client()
    web.force_login(kiri)
    make_protocol(api, name="Weekly", starts_on="2027-01-02")
    due = web.get("/").content.decode().split('class="next-due"')[1].split("</dd>")[0]
    assert "Sat 2 Jan," in due and "2027" not in due.split("</time>")[0].split(">")[-1]


def test_confirmed_warnings_name_the_dose_and_link_to_it(alice, alice_api, web):
    now = datetime.now(UTC)
    protocol = make_protocol(alice_api, starts_on=(now - timedelta(days=20)).date().isoformat())
    first = {"protocol": protocol["id"], "amount": "0.25", "occurred_at": (now - timedelta(days=2)).isoformat()}
    assert alice_api.post("/api/v1/doses", first).status_code == 201
    again = {**first, "occurred_at": (now - timedelta(days=1)).isoformat(), "acknowledge": ["too_soon"]}
    recorded = alice_api.post("/api/v1/doses", again)
    assert recorded.status_code == 201, recorded.content
    section = (
        web.get("/").content.decode().split("Warnings you confirmed in the last 30 days")[1].split("</section>")[0]
    )
    assert ", semaglutide</a>:" in section.lower() and "#entry-" in section and "after your semaglutide dose" in section


def test_half_lives_read_in_hours_with_days_from_two_days_on(guides, alice, alice_api, web):
    from shotlee.charts.templatetags.charts import hours

    assert [hours(v) for v in (192.0, 840.0, 8.5, 36.0, 48.0, 100.0)] == [
        "192 h (8 days)",
        "840 h (35 days)",
        "8.5 h",
        "36 h",
        "48 h (2 days)",
        "100 h (4.2 days)",
    ]
    pid = cypionate_with_labs(alice, alice_api)
    page = web.get(f"/timeline/{pid}/").content.decode()
    published = chart_data(page)["level"]["half_life_hours"]
    assert f"half-life {hours(published)}" in page and ".0 h" not in page
    assert "the guide's source: " + hours(published) in page
    # The labs' caption says where they are drawn: on an axis of their own, or on the calibrated curve's scale.
    assert "on an axis of their own, named with its unit" in page and "on their own axis" not in page
    chosen = web.get(f"/timeline/{pid}/", {"calibrated": "1"}).content.decode()
    assert "the lab the curve is scaled to sits on the curve's own scale" in chosen


def test_missed_days_carry_a_mark_besides_their_colour(guides, alice, alice_api, web):
    now = datetime.now(UTC)
    pid = from_guide(
        alice_api,
        "testosterone-cypionate",
        "every-2-weeks-200-mg-canada",
        starts_on=(now - timedelta(days=90)).date().isoformat(),
    )
    seed_doses(alice, pid, [now - timedelta(days=88)], "200")
    page = web.get(f"/timeline/{pid}/").content.decode()
    heat = page[page.index('<svg class="heat-map"') : page.index("</svg>", page.index('<svg class="heat-map"'))]
    missed = heat.count('class="heat missed"')
    assert missed > 0
    assert heat.count('class="heat-mark missed"') == missed  # a cross on each missed day
    assert heat.count("<rect") == heat.count("<title>")  # every day keeps its title
    assert "missed (crossed)" in page


def test_the_metric_chart_says_times_in_the_persons_zone_and_what_the_list_holds(alice, alice_api, web):
    alice.profile.timezone = "Asia/Tokyo"
    alice.profile.save()
    now = datetime.now(UTC)
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(hours=h) for h in range(3)], "80")
    page = web.get("/metrics/", {"type": "weight"}).content.decode()
    data = json.loads(page.split('id="metric-chart-data" type="application/json">')[1].split("</script>")[0])
    assert data["items"][0]["time_zone"] == "Asia/Tokyo"
    assert "The list below has every value." in page
    seed_readings(alice, "weight", "Weight", "kg", [now - timedelta(days=1, minutes=m) for m in range(200)], "81")
    page = web.get("/metrics/", {"type": "weight"}).content.decode()
    assert "every value" not in page and "The list below has your latest 200 readings" in page
    assert page.count('class="entry kind-metric"') == 200
