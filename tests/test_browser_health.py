"""Issue 4 in a real Chromium: sign up, start the dutasteride mesotherapy protocol from its guide, log a dose,
log a side effect from the guide's quick picks with a severity, set preferred units in Settings, log a weight in
pounds and a total testosterone in ng/dL from the protocol page's one-tap button, and see them in the lists.

The same flow runs on a 1280 px desktop and on a 390 px phone; full-page screenshots of the side-effect form and
of the metrics list land in test-artifacts/ for review. Skips without Chromium unless SHOTLEE_REQUIRE_BROWSER is
set, like tests/test_browser.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from shotlee.accounts.models import Profile
from shotlee.guides.loader import load_guides
from shotlee.ledger.models import Entry
from shotlee.protocols.models import Protocol
from tests.browser_support import (
    DESKTOP,
    PHONE,
    assert_fits_viewport,
    expect,
    low_contrast_text,
    main,
    nav_to,
    screenshot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "scalp lantern meadow forty-two"
TRACK = "/protocols/new/?guide=dutasteride-mesotherapy&regimen=quarterly-0-1-mg"
LB = Decimal("0.45359237")


@pytest.fixture(autouse=True)
def guides(transactional_db):
    load_guides()


def field(page: Any, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def nav(page: Any, name: str) -> None:
    nav_to(page, name)


def no_sideways_scroll(page: Any, where: str) -> None:
    """The shared check, plus one against clientWidth (is_mobile widens innerWidth to fit a spill)."""
    assert_fits_viewport(page, where)
    spill = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert spill <= 0, f"{where}: the page scrolls sideways by {spill}px"


class Visit:
    def __init__(self, page: Any, base: str, username: str, label: str, phone: bool):
        self.page, self.base, self.username, self.label, self.phone = page, base, username, label, phone
        self.protocol_url = ""

    def landed(self, where: str) -> None:
        self.page.wait_for_load_state()
        if self.phone:
            no_sideways_scroll(self.page, f"{self.label}: {where}")

    def start_the_protocol_from_its_guide(self) -> None:
        page = self.page
        sign_up(page, self.base, self.username, PASSWORD)
        expect(page).to_have_url(self.base + "/welcome/")  # the first-run page
        page.goto(self.base + TRACK)
        expect(page.get_by_role("heading", level=1)).to_have_text("Track Dutasteride mesotherapy")
        page.get_by_role("button", name="Save protocol").click()
        expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))
        self.protocol_url = page.url
        # One dose, so the side effect and the lab have a "last dose" to count from.
        main(page).get_by_role("link", name="Log dose").click()
        expect(field(page, "Amount")).to_have_value("0.1")
        page.get_by_role("button", name="Record dose").click()
        expect(page).to_have_url(self.base + "/history/?recorded=1")

    def log_a_side_effect_from_the_quick_picks(self) -> None:
        page = self.page
        page.goto(self.protocol_url)
        main(page).get_by_role("link", name="Log a side effect").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log a side effect")
        expect(field(page, "Protocol")).to_have_value(self.protocol_url.rstrip("/").rsplit("/", 1)[1])
        picks = page.get_by_role("group", name="What did you notice?").get_by_role("radio")
        expect(picks.first).to_have_accessible_name("injection pain")  # the guide's first side effect
        expect(page.get_by_role("radio", name="scalp redness", exact=True)).to_be_visible()
        severity = page.get_by_role("group", name="How bad, from 0 to 10?")
        expect(severity.get_by_role("radio")).to_have_count(11)
        expect(severity).to_contain_text("10 worst imaginable")
        self.landed("side-effect form")
        page.get_by_role("radio", name="injection pain", exact=True).check()
        severity.get_by_role("radio", name="6", exact=True).check()
        expect(severity.get_by_role("radio", name="6", exact=True)).to_be_checked()
        field(page, "Injection site or zone (for site reactions)").select_option("frontal hairline")
        screenshot(page, f"side-effect-log-{self.label}")
        page.get_by_role("button", name="Record side effect").click()
        expect(page).to_have_url(self.base + "/side-effects/?recorded=1")
        expect(page.get_by_role("status")).to_have_text("Side effect recorded.")
        items = page.locator("ol.history > li.kind-side_effect")
        expect(items).to_have_count(1)
        item = items.first
        expect(item).to_contain_text("injection pain")
        expect(item).to_contain_text("severity 6/10")
        expect(item).to_contain_text("ongoing")
        expect(item).to_contain_text("Dutasteride mesotherapy")
        expect(item).to_contain_text("0 days after the last dose")
        expect(item).to_contain_text("frontal hairline")
        self.landed("side-effect list")
        screenshot(page, f"side-effect-list-{self.label}")
        effect = Entry.objects.get(user__username=self.username, kind="side_effect")
        assert (effect.data["symptom"], effect.data["severity"], effect.data["ended_at"]) == ("injection pain", 6, None)

    def choose_preferred_units(self) -> None:
        page = self.page
        nav(page, "Settings")
        expect(page.get_by_role("heading", name="Units")).to_be_visible()
        field(page, "Weight").select_option("lb")
        field(page, "Total testosterone").select_option("ng/dL")
        page.get_by_role("button", name="Save units").click()
        expect(page).to_have_url(self.base + "/accounts/settings/#units")
        expect(field(page, "Weight")).to_have_value("lb")
        expect(field(page, "Total testosterone")).to_have_value("ng/dL")
        self.landed("settings")
        units = Profile.objects.get(user__username=self.username).preferred_units
        assert (units["weight"], units["testosterone_total"], units["glucose"]) == ("lb", "ng/dL", "mmol/L")

    def log_weight_in_pounds(self) -> None:
        page = self.page
        nav(page, "Metrics")
        expect(page.get_by_role("heading", level=1)).to_have_text("Metrics and labs")
        main(page).get_by_role("link", name="Log a reading").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log weight")
        expect(field(page, "Unit")).to_have_value("lb")  # the preferred unit, preselected
        self.landed("weight form")
        field(page, "Value").fill("176.4")
        page.get_by_role("button", name="Record reading").click()
        expect(page).to_have_url(self.base + "/metrics/?recorded=1")
        expect(page.get_by_role("status")).to_contain_text("Reading recorded.")
        stored = Entry.objects.get(user__username=self.username, kind="metric", compound="weight")
        assert stored.unit == "kg" and Decimal(stored.data["value"]) == (Decimal("176.4") * LB).quantize(
            Decimal("0.000001")
        )

    def log_testosterone_from_the_protocol_page(self) -> None:
        page = self.page
        page.goto(self.protocol_url)
        expect(page.get_by_role("heading", name="Metrics to monitor")).to_be_visible()
        self.landed("protocol page")
        screenshot(page, f"protocol-metrics-to-monitor-{self.label}")
        main(page).get_by_role("link", name="Total testosterone", exact=True).click()
        expect(page).to_have_url(re.compile(r"/metrics/log/\?type=testosterone_total&protocol=[0-9a-f-]{36}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Log total testosterone")
        expect(field(page, "Unit")).to_have_value("ng/dL")
        expect(field(page, "When")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
        field(page, "Value").fill("650")
        page.get_by_role("button", name="Record reading").click()
        expect(page).to_have_url(self.base + "/metrics/?recorded=1")
        lab = Entry.objects.get(user__username=self.username, kind="metric", compound="testosterone_total")
        assert lab.unit == "nmol/L" and Decimal(lab.data["value"]) == (Decimal(650) / Decimal("28.842")).quantize(
            Decimal("0.000001")
        )
        assert str(lab.subject) == str(Protocol.objects.get(user__username=self.username).uid)

    def see_both_in_the_preferred_units(self) -> None:
        page = self.page
        items = page.locator("ol.history > li.kind-metric")
        expect(items).to_have_count(2)
        lab, weight = items.nth(0), items.nth(1)
        expect(weight).to_contain_text("Weight: 176.4 lb")
        expect(lab).to_contain_text(re.compile(r"Total testosterone: 650(\.0+)? ng/dL"))
        expect(lab.locator(".badge", has_text="lab")).to_be_visible()
        expect(lab).to_contain_text(re.compile(r"(an hour|hours?|days?) after the last Dutasteride mesotherapy dose"))
        expect(page.locator(".badge.warn")).to_have_count(0)
        self.landed("metrics list")
        screenshot(page, f"metrics-list-{self.label}")


@pytest.mark.parametrize(
    ("viewport", "label", "options"),
    [(DESKTOP, "desktop", {}), (PHONE, "phone", {"is_mobile": True, "has_touch": True})],
    ids=["desktop-1280", "phone-390"],
)
def test_a_side_effect_from_the_quick_picks_and_readings_in_preferred_units(
    open_page, live_server, viewport, label, options
):
    page, problems = open_page(viewport, timezone_id="Europe/Berlin", **options)
    visit = Visit(page, live_server.url, f"health-{label}", label, phone=label == "phone")
    visit.start_the_protocol_from_its_guide()
    visit.log_a_side_effect_from_the_quick_picks()
    visit.choose_preferred_units()
    visit.log_weight_in_pounds()
    visit.log_testosterone_from_the_protocol_page()
    visit.see_both_in_the_preferred_units()
    assert problems.messages == []


def test_a_missing_severity_is_explained_in_the_browser_and_nothing_is_recorded(open_page, live_server):
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    sign_up(page, live_server.url, "no-severity", PASSWORD)
    nav(page, "Side effects")
    main(page).get_by_role("link", name="Log a side effect").click()
    page.get_by_role("radio", name="headache", exact=True).check()
    page.get_by_role("button", name="Record side effect").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("must be a whole number from 0 (none) to 10 (worst imaginable)")
    expect(page.get_by_role("radio", name="headache", exact=True)).to_be_checked()
    assert not Entry.objects.filter(user__username="no-severity", kind="side_effect").exists()
    no_sideways_scroll(page, "side-effect form with an error on a phone")
    assert problems.messages == []


def test_the_health_pages_meet_wcag_aa_contrast(open_page, live_server):
    page, _ = open_page(DESKTOP)
    visit = Visit(page, live_server.url, "contrast-health", "contrast", phone=False)
    visit.start_the_protocol_from_its_guide()
    found: dict[str, list[str]] = {}
    for path in (
        "/side-effects/log/",
        "/side-effects/",
        "/metrics/log/?type=blood_pressure",
        "/metrics/",
        visit.protocol_url,
    ):
        page.goto(path if path.startswith("http") else live_server.url + path)
        page.wait_for_load_state()
        unreadable = low_contrast_text(page)
        if unreadable:
            found[path] = unreadable
    assert not found, f"text below WCAG AA contrast: {found}"
