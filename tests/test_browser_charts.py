"""Issue 10 in a real Chromium: the dashboard and the timelines with seeded data. Charts render (a canvas that is
not blank, the heat map's SVG squares), ranges switch in place, the legend names the source of the parameters, the
mesotherapy timeline says why it has no curve, and the page stays within 150 KB of JavaScript. Screenshots of the
dashboard and the timeline at 1280x900 and 390x844 land in test-artifacts/."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shotlee.guides.loader import load_guides
from tests.browser_support import DESKTOP, PHONE, assert_fits_viewport, axe_violations, expect, screenshot, serious
from tests.charts_support import seed_doses, seed_readings
from tests.conftest import Api, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANVAS_INK = """(sel) => { const c = document.querySelector(sel + ' canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
SCRIPT_BYTES = """() => performance.getEntriesByType('resource').filter(r => r.initiatorType === 'script')
  .reduce((sum, r) => sum + r.decodedBodySize, 0)"""


@pytest.fixture
def world(transactional_db):
    from shotlee.accounts.services import issue_token

    load_guides()
    user = make_user("charted", "Europe/London")
    api = Api(issue_token(user, "browser"))
    now = datetime.now(UTC)
    start = (now - timedelta(days=120)).date().isoformat()
    ids = {}
    for name, guide, regimen in (
        ("cyp", "testosterone-cypionate", "every-2-weeks-200-mg-canada"),
        ("meso", "dutasteride-mesotherapy", "quarterly-0-1-mg"),
    ):
        response = api.post("/api/v1/protocols", {"guide": guide, "regimen": regimen, "starts_on": start})
        assert response.status_code == 201, response.content
        ids[name] = response.json()["id"]
    seed_doses(user, ids["cyp"], [now - timedelta(days=d, hours=2) for d in range(112, 0, -14)], "200")
    seed_doses(user, ids["meso"], [now - timedelta(days=80)], "0.1")
    seed_readings(user, "weight", "Weight", "kg", [now - timedelta(days=d) for d in range(0, 60, 3)], "82")
    for days, value in ((100, "18"), (60, "21"), (30, "19")):
        at = (now - timedelta(days=days)).isoformat()
        lab = {"type": "testosterone_total", "value": value, "measured_at": at, "protocol": ids["cyp"]}
        assert api.post("/api/v1/metrics", lab).status_code == 201
    for days, severity in ((70, 6), (40, 3), (10, 5)):
        effect = {"symptom": "nausea", "severity": severity, "protocol": ids["cyp"]}
        effect["started_at"] = (now - timedelta(days=days)).isoformat()
        assert api.post("/api/v1/side-effects", effect).status_code == 201
    for days, high, low in ((50, "128", "84"), (20, "124", "81"), (5, "121", "79")):
        pressure = {"type": "blood_pressure", "value": high, "value2": low, "unit": "mmHg"}
        pressure["measured_at"] = (now - timedelta(days=days, hours=5)).isoformat()
        assert api.post("/api/v1/metrics", pressure).status_code == 201
    last = api.get("/api/v1/doses").json()["items"][0]["id"]
    assert api.post(f"/api/v1/entries/{last}/corrections", {"action": "void", "reason": "test"}).status_code == 201
    return {"user": user, **ids}


def log_in(page: Any, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill("charted")
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_dashboard_and_timelines_draw_switch_ranges_and_explain_themselves(open_page, live_server, world):
    base = live_server.url
    page, problems = open_page(DESKTOP, timezone_id="Europe/London")
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your protocols")
    page.wait_for_selector("[data-chart='mini'][data-drawn] canvas")
    assert page.evaluate(CANVAS_INK, "[data-chart='mini'][data-drawn]") > 200
    assert page.locator(".due-text").first.inner_text().strip()
    assert page.evaluate(SCRIPT_BYTES) < 150_000
    screenshot(page, "charts-dashboard-desktop")

    page.goto(f"{base}/timeline/{world['cyp']}/")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    assert page.evaluate(CANVAS_INK, "[data-chart='timeline']") > 500
    expect(page.locator(".legend-source")).to_contain_text("Source:")
    expect(page.locator(".legend-source")).to_contain_text("an estimate")
    assert page.locator(".heat-map rect.heat").count() > 100
    page.get_by_role("link", name="7 days", exact=True).click()
    expect(page.get_by_role("link", name="7 days", exact=True)).to_have_attribute("aria-current", "true")
    assert "range=7d" in page.url
    page.get_by_role("link", name="1 year", exact=True).click()
    expect(page.locator("#chart-status")).to_have_text("Showing 1 year.")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    assert page.evaluate(CANVAS_INK, "[data-chart='timeline']") > 500
    page.get_by_text("Table of the doses in this range").click()
    expect(page.get_by_role("table", name="Doses of Testosterone cypionate (intramuscular)")).to_contain_text(
        "entered in error"
    )
    assert page.evaluate(SCRIPT_BYTES) < 150_000
    screenshot(page, "charts-timeline-desktop")

    expect(page.locator(".calibration-fit")).to_contain_text("Your personal scale")
    page.get_by_role("button", name="Draw the curve with my scale, in nmol/L").click()
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    expect(page.locator(".legend-source")).to_contain_text("scaled to your labs")
    page.goto(f"{base}/metrics/?type=weight")
    page.wait_for_selector("[data-chart='metric'][data-drawn] canvas")
    assert page.evaluate(CANVAS_INK, "[data-chart='metric']") > 200
    screenshot(page, "charts-metric-desktop")

    page.goto(f"{base}/timeline/{world['meso']}/")
    expect(page.locator(".no-curve")).to_contain_text("No pharmacokinetics are published for dutasteride injected")
    assert page.locator(".site-map .site").count() >= 7
    screenshot(page, "charts-mesotherapy-desktop")

    page.goto(f"{base}/timeline/?range=all")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    assert page.locator("[data-chart='timeline']").count() == 2

    phone, _ = open_page(PHONE, timezone_id="Europe/London", is_mobile=True, has_touch=True)
    log_in(phone, base)
    phone.wait_for_selector("[data-chart='mini'][data-drawn] canvas")
    assert_fits_viewport(phone, "dashboard on a phone")
    screenshot(phone, "charts-dashboard-phone")
    phone.goto(f"{base}/timeline/{world['cyp']}/")
    phone.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    assert_fits_viewport(phone, "timeline on a phone")
    screenshot(phone, "charts-timeline-phone")
    assert problems.messages == []


SHOTS = Path("/work/notes/shots")  # where the screenshots of the details panel are kept when that folder exists
POINT = """([t, y, scale, sel]) => { const el = document.querySelector(sel || "[data-chart='timeline']"), u = el._plot;
  const box = u.over.getBoundingClientRect();
  return [box.left + u.valToPos(t, 'x'), box.top + u.valToPos(y, scale)]; }"""
X_SCALE = """() => { const u = document.querySelector("[data-chart='timeline']")._plot;
  return [u.scales.x.min, u.scales.x.max]; }"""


def chart_doses(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.locator("#chart-data").text_content())["items"][0]["doses"]


def said(t: float) -> str:
    """A time as the page says it: in the person's zone (Europe/London), "Sun 29 Nov 2026, 16:25"."""
    return datetime.fromtimestamp(t, ZoneInfo("Europe/London")).strftime("%a %-d %b %Y, %H:%M")


def keep(page: Any, path: Path, name: str) -> None:
    """The full page, and what the screen shows with the chart and its details in view."""
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / f"{name}.png")
        page.locator("[data-chart='timeline']").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{name}-screen.png"))


def test_pointing_at_a_dose_tells_its_record_and_a_drag_zooms(open_page, live_server, world):
    base = live_server.url
    page, problems = open_page({"width": 1280, "height": 800}, timezone_id="Asia/Tokyo")  # not the person's zone
    log_in(page, base)
    # The dashboard's small charts tell a dose too, under the card's chart.
    page.wait_for_selector("[data-chart='mini'][data-drawn] canvas")
    card = page.locator(".card", has=page.locator("[data-chart='mini']")).first
    first = json.loads(page.locator("#chart-data").text_content())["items"][0]
    dose = next(d for d in first["doses"] if d["status"] == "effective")
    page.mouse.move(*page.evaluate(POINT, [dose["t"], dose["amount"], "dose", "[data-chart='mini']"]))
    expect(card.locator(".chart-details")).to_contain_text(f"Dose of {dose['entered']} {dose['unit']}")

    page.goto(f"{base}/timeline/{world['cyp']}/")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    panel = page.locator("#details-0")
    expect(panel).to_have_attribute("aria-live", "polite")
    expect(page.locator(".u-legend")).to_contain_text("Weight (kg)")
    expect(page.locator(".u-legend")).to_contain_text("Blood pressure, systolic (mmHg)")
    weight_axis = page.evaluate(
        """() => { const u = document.querySelector("[data-chart='timeline']")._plot;
        return [u.scales.m_weight.min, u.scales.m_weight.max]; }"""
    )
    assert 75 < weight_axis[0] < 82 < weight_axis[1] < 90, weight_axis  # its own readings, not 0 to 160
    ticks = page.evaluate(
        """() => { const u = document.querySelector("[data-chart='timeline']")._plot;
        return u.axes[0].values(u, [Date.UTC(2026, 9, 9, 12) / 1000]); }"""
    )
    assert ticks == ["9 Oct"], ticks  # as the pages write dates, not uPlot's "10/9"
    expect(page.locator(".metric-summary")).to_contain_text("the latest 121/79 mmHg")

    doses = chart_doses(page)
    kept = [d for d in doses if d["status"] == "effective"][-2]
    page.mouse.move(*page.evaluate(POINT, [kept["t"], kept["amount"], "dose"]))
    expect(panel).to_contain_text("Dose of 200 mg")
    expect(panel).to_contain_text(said(kept["t"]))
    expect(panel).to_contain_text("In effect.")
    link = panel.get_by_role("link", name="See this dose in your history")
    assert link.get_attribute("href").endswith(f"#entry-{kept['seq']}")
    voided = next(d for d in doses if d["status"] == "voided")
    page.mouse.move(*page.evaluate(POINT, [voided["t"], voided["amount"], "dose"]))
    expect(panel).to_contain_text("Voided")
    expect(panel).to_contain_text(said(voided["t"]))
    assert serious(axe_violations(page)) == []  # with the details open
    shot = screenshot(page, "charts-timeline-details-desktop")
    keep(page, shot, "timeline-details-desktop-1280x800")

    # A drag across the chart zooms in on that stretch; "Reset zoom" (and a double-click) shows it all again.
    whole = page.evaluate(X_SCALE)
    box = page.locator("[data-chart='timeline'] .u-over").bounding_box()
    reset = page.get_by_role("button", name="Reset zoom")
    expect(reset).to_be_hidden()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    zoomed = page.evaluate(X_SCALE)
    assert whole[0] < zoomed[0] < zoomed[1] < whole[1], (whole, zoomed)
    expect(reset).to_be_visible()
    assert reset.bounding_box()["height"] >= 44
    expect(page.locator("#chart-status")).to_contain_text("Zoomed in on")
    reset.click()
    assert page.evaluate(X_SCALE) == whole
    expect(reset).to_be_hidden()
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.mouse.up()
    assert page.evaluate(X_SCALE) != whole
    page.mouse.dblclick(box["x"] + box["width"] * 0.3, y)
    assert page.evaluate(X_SCALE) == whole
    assert problems.messages == []

    # On a phone a tap tells the record.
    phone, phone_problems = open_page(PHONE, timezone_id="Europe/London", is_mobile=True, has_touch=True)
    log_in(phone, base)
    phone.goto(f"{base}/timeline/{world['cyp']}/")
    phone.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    phone.touchscreen.tap(*phone.evaluate(POINT, [kept["t"], kept["amount"], "dose"]))
    expect(phone.locator("#details-0")).to_contain_text("Dose of 200 mg")
    expect(phone.locator("#details-0")).to_contain_text(said(kept["t"]))
    assert_fits_viewport(phone, "timeline with the details on a phone")
    assert serious(axe_violations(phone)) == []
    keep(phone, screenshot(phone, "charts-timeline-details-phone"), "timeline-details-phone-390x844")
    assert phone_problems.messages == []


SERIES = """([label, sel]) => { const u = document.querySelector(sel || "[data-chart='timeline']")._plot;
  const i = u.series.findIndex(s => s.label === label); if (i < 0) return null; const s = u.series[i];
  const axis = u.axes.find(a => a.scale === s.scale);
  return {scale: s.scale, min: u.scales[s.scale].min, max: u.scales[s.scale].max, axis: axis ? axis.label : null,
    axisShown: axis ? axis.show !== false : false, fill: !!(s._paths && s._paths.fill)}; }"""
# Pixels of the side-effect band's fill (rgba(179, 38, 30, 0.15) on the transparent canvas), wherever it is not
# covered by another line.
BAND_PIXELS = """() => { const c = document.querySelector("[data-chart='timeline'] canvas");
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 179) < 8 && Math.abs(d[i + 1] - 38) < 8
    && Math.abs(d[i + 2] - 30) < 8 && d[i + 3] > 25 && d[i + 3] < 50) n++; return n; }"""
LUMINANCE = """(name) => { const probe = document.createElement('i'); probe.style.color = `var(${name})`;
  document.body.appendChild(probe); const rgb = getComputedStyle(probe).color.match(/\\d+/g).slice(0, 3).map(Number);
  probe.remove(); const [r, g, b] = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return [rgb.join(','), 0.2126 * r + 0.7152 * g + 0.0722 * b]; }"""
X_OF = """(i) => { const u = document.querySelectorAll("[data-chart='timeline']")[i]._plot;
  return [u.scales.x.min, u.scales.x.max]; }"""


def contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_labs_the_severity_band_the_shared_axis_and_the_metric_chart(open_page, live_server, world):
    base = live_server.url
    page, problems = open_page({"width": 1280, "height": 800}, timezone_id="Asia/Tokyo")  # not the person's zone
    log_in(page, base)
    page.goto(f"{base}/timeline/{world['cyp']}/?range=1y")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    # Labs on an axis of their own, named with their unit, from zero past the highest; the caption says so.
    lab = page.evaluate(SERIES, ["Lab: Total testosterone (nmol/L)", None])
    assert lab["scale"] != "level" and lab["axisShown"] and "nmol/L" in lab["axis"], lab
    assert lab["min"] == 0 and lab["max"] > 21, lab
    expect(page.locator("#caption-0")).to_contain_text(
        "Lab readings are points in a colour of their own on an axis of their own"
    )
    # Side-effect severity is a filled, stepped band.
    band = page.evaluate(SERIES, ["Side-effect severity (0-10)", None])
    assert band["fill"], band
    assert page.evaluate(BAND_PIXELS) > 3000
    # Labs have a colour of their own, apart from the doses' steps, seen against the chart in light and dark.
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        lab_colour, lab_light = page.evaluate(LUMINANCE, "--c-lab")
        step_colour, _ = page.evaluate(LUMINANCE, "--c-step3")
        _, card = page.evaluate(LUMINANCE, "--card")
        assert lab_colour != step_colour and contrast(lab_light, card) >= 3, (scheme, lab_colour, step_colour)
    page.emulate_media(color_scheme="light")
    screenshot(page, "charts-timeline-labs-band-desktop")
    # An in-place range switch carries the calibration forms along.
    page.get_by_role("link", name="90 days", exact=True).click()
    expect(page.locator("#chart-status")).to_have_text("Showing 90 days.")
    values = page.locator(".actions form input[name='range']").evaluate_all("els => els.map(e => e.value)")
    assert values and set(values) == {"90d"}, values
    # With the curve drawn in the lab's unit (calibrated) the labs sit on the curve's scale.
    page.get_by_role("button", name="Draw the curve with my scale, in nmol/L").click()
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    assert "range=90d" in page.url
    assert page.evaluate(SERIES, ["Lab: Total testosterone (nmol/L)", None])["scale"] == "level"
    expect(page.locator("#caption-0")).to_contain_text("sits on the curve's own scale")

    # All protocols: one time axis, one cursor, one zoom.
    page.goto(f"{base}/timeline/?range=all")
    page.wait_for_selector("[data-chart='timeline'][data-drawn] canvas")
    charts = page.locator("[data-chart='timeline']")
    expect(charts).to_have_count(2)
    page.wait_for_function("document.querySelectorAll(\"[data-chart='timeline'][data-drawn]\").length === 2")
    whole = page.evaluate(X_OF, 0)
    assert page.evaluate(X_OF, 1) == whole
    # One moment sits at the same place down the page: the plotting areas line up.
    areas = page.evaluate(
        """() => [...document.querySelectorAll("[data-chart='timeline']")].map(el => {
        const b = el._plot.over.getBoundingClientRect(); return [Math.round(b.left), Math.round(b.width)]; })"""
    )
    assert areas[0] == areas[1], areas
    items = json.loads(page.locator("#chart-data").text_content())["items"]
    assert whole[0] == min(i["range"]["start"] for i in items)
    assert whole[1] >= max(i["level"]["projection"]["t"][-1] for i in items if i["level"]["available"])
    box = charts.nth(0).locator(".u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    moment = """(i) => { const u = document.querySelectorAll("[data-chart='timeline']")[i]._plot;
      return u.cursor.left < 0 ? null : u.posToVal(u.cursor.left, 'x'); }"""
    pointed = page.evaluate(moment, 0)
    assert pointed is not None and abs(page.evaluate(moment, 1) - pointed) < (whole[1] - whole[0]) / 300
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    zoomed = page.evaluate(X_OF, 0)
    assert whole[0] < zoomed[0] < zoomed[1] < whole[1]
    assert page.evaluate(X_OF, 1) == zoomed
    page.get_by_role("button", name="Reset zoom").last.click()
    assert page.evaluate(X_OF, 0) == whole and page.evaluate(X_OF, 1) == whole

    # The metric chart: systolic and diastolic named, times in the person's zone.
    page.goto(f"{base}/metrics/?type=blood_pressure")
    page.wait_for_selector("[data-chart='metric'][data-drawn] canvas")
    legend = page.locator(".metric-chart .u-legend")
    expect(legend).to_contain_text("Blood pressure, systolic (mmHg)")
    expect(legend).to_contain_text("Blood pressure, diastolic (mmHg)")
    first = json.loads(page.locator("#metric-chart-data").text_content())["items"][0]["points"]["t"][0]
    shown, ticks = page.evaluate(
        """(t) => { const u = document.querySelector("[data-chart='metric']")._plot;
        return [u.series[0].value(u, t), u.axes[0]._splits]; }""",
        first,
    )
    assert shown == said(first), shown
    # Day ticks fall on midnights in the person's zone (Europe/London), not the browser's (Asia/Tokyo).
    london = ZoneInfo("Europe/London")
    assert ticks and all(datetime.fromtimestamp(t, london).strftime("%H:%M") == "00:00" for t in ticks), ticks
    assert problems.messages == []
