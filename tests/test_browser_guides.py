"""Issue 3 in a real Chromium: browse the guides, open dutasteride mesotherapy, press "Track this protocol" on
the quarterly regimen, log in when asked and come back to the prefilled form, adjust it, save, log the first
dose at the suggested zone, and see "Next due" about three months later on the dashboard.

Full-page screenshots of the guide page (1280 px desktop, 390 px phone) land in test-artifacts/ for review.
Skips without Chromium unless SHOTLEE_REQUIRE_BROWSER is set, like tests/test_browser.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from shotlee.guides.loader import load_guides
from shotlee.guides.models import Guide
from shotlee.ledger.models import Entry
from shotlee.lib.schedule import add_months
from shotlee.protocols.models import Protocol
from tests.browser_support import (
    DESKTOP,
    PHONE,
    assert_fits_viewport,
    expect,
    low_contrast_text,
    main,
    screenshot,
    sign_up,
)
from tests.conftest import PASSWORD as ACCOUNT_PASSWORD
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quarterly lantern orchard ninety"
GUIDE = "/guides/dutasteride-mesotherapy/"
TRACK = "/protocols/new/?guide=dutasteride-mesotherapy&regimen=quarterly-0-1-mg"
ZONES = "frontal hairline, left temple, right temple, mid-scalp, vertex/crown, left parietal, right parietal"


@pytest.fixture(autouse=True)
def guides(transactional_db):
    load_guides()


def field(page: Any, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def fact(page: Any, term: str) -> Any:
    return page.locator(f"xpath=//dl[contains(@class,'facts')]/dt[normalize-space()='{term}']/following-sibling::dd[1]")


def quarterly_row(page: Any) -> Any:
    return page.locator("#regimen-quarterly-0-1-mg")


def open_the_guide_from_the_index(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Guides").click()
    expect(page).to_have_url(base + "/guides/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Protocol guides")
    cards = page.get_by_role("list", name="Guides").locator("li.card")
    expect(cards).to_have_count(Guide.objects.count())
    page.get_by_role("searchbox", name="Search").fill("dutasteride")
    page.get_by_role("button", name="Show guides").click()
    expect(page).to_have_url(re.compile(r"/guides/\?q=dutasteride"))
    expect(cards).to_have_count(2)
    page.get_by_role("link", name="Dutasteride mesotherapy").click()
    expect(page).to_have_url(base + GUIDE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dutasteride mesotherapy")
    expect(page.get_by_role("note").filter(has_text="No standardized protocol.")).to_be_visible()
    row = quarterly_row(page)
    expect(row).to_contain_text("0.1 mg")
    expect(row).to_contain_text("every 3 months")
    expect(page.locator("#regimen-weekly-course-1-mg-7-sessions")).to_contain_text("7 sessions")


def expect_prefilled_quarterly_form(page: Any, base: str) -> None:
    expect(page).to_have_url(base + TRACK)
    expect(page.get_by_role("heading", level=1)).to_have_text("Track Dutasteride mesotherapy")
    expect(field(page, "Compound")).to_have_value("dutasteride")
    expect(field(page, "Dose")).to_have_value("0.1")
    expect(field(page, "Unit")).to_have_value("mg")
    expect(field(page, "Route")).to_have_value("intradermal")
    expect(field(page, "Every")).to_have_value("3")
    expect(field(page, "Period")).to_have_value("months")
    expect(field(page, "Minimum gap")).to_have_value("")
    expect(field(page, "Maximum single dose")).to_have_value("")
    expect(field(page, "Sites, separated by commas (optional)")).to_have_value(ZONES)


def test_track_the_quarterly_regimen_log_the_first_dose_and_see_next_due(open_page, live_server):
    base = live_server.url
    make_user("mira", "Europe/Berlin")
    page, problems = open_page(DESKTOP, timezone_id="Europe/Berlin")

    # Browse the guides and open dutasteride mesotherapy, without an account.
    open_the_guide_from_the_index(page, base)

    # "Track this protocol" on the quarterly regimen asks to log in, then comes back to the prefilled form.
    quarterly_row(page).get_by_role("link", name=re.compile("^Track this protocol")).click()
    expect(page).to_have_url(base + "/accounts/login/?next=" + quote(TRACK, safe="/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    field(page, "Username").fill("mira")
    field(page, "Password").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect_prefilled_quarterly_form(page, base)
    expect(page.get_by_role("note").filter(has_text="Prefilled from the published regimen")).to_be_visible()

    # Adjust: a personal maximum, and fewer zones. Then save.
    field(page, "Maximum single dose").fill("0.2")
    field(page, "Sites, separated by commas (optional)").fill("frontal hairline, vertex/crown, mid-scalp")
    page.get_by_role("button", name="Save protocol").click()
    expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))
    expect(fact(page, "Dose")).to_have_text("0.1 mg, intradermal")
    expect(fact(page, "How often")).to_have_text("every 3 months")
    expect(fact(page, "Maximum single dose")).to_have_text("0.2 mg")
    expect(fact(page, "Sites")).to_have_text("frontal hairline, vertex/crown, mid-scalp")
    guide = Guide.objects.get(slug="dutasteride-mesotherapy")
    expect(fact(page, "From guide")).to_contain_text("Dutasteride mesotherapy: ")
    fact(page, "From guide").get_by_text("Which version").click()
    expect(fact(page, "From guide")).to_contain_text(f"with content {guide.content_hash[:8]}")
    protocol = Protocol.objects.get(user__username="mira")
    assert protocol.current.guide_version == guide.content_hash

    # Log the first dose: a session treats every zone, so each of the protocol's zones is ticked.
    main(page).get_by_role("link", name="Log dose").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a dose")
    expect(field(page, "Amount")).to_have_value("0.1")
    zones = page.get_by_role("group", name="Zones treated this session").get_by_role("checkbox")
    expect(zones).to_have_count(3)
    for zone in ("frontal hairline", "vertex/crown", "mid-scalp"):
        expect(page.get_by_role("checkbox", name=zone)).to_be_checked()
    page.get_by_role("checkbox", name="mid-scalp").uncheck()
    when = field(page, "When").input_value()
    page.get_by_role("button", name="Record dose").click()
    expect(page).to_have_url(base + "/history/?recorded=1")
    expect(page.get_by_role("status")).to_have_text("Saved: dose recorded.")
    dose = Entry.objects.get(user__username="mira", kind="dose")
    assert dose.data["sites"] == ["frontal hairline", "vertex/crown"]

    # The dashboard: next due three calendar months after the dose, in the person's own time.
    page.get_by_role("link", name="Shotlee").click()
    expect(page).to_have_url(base + "/")
    card = main(page).locator("li.card").filter(has_text="Dutasteride mesotherapy")
    expect(card.locator("dt", has_text="Next due")).to_be_visible()
    typed = datetime.fromisoformat(when)
    due = datetime.combine(add_months(typed.date(), 3), typed.time())
    shown = (
        "%a %-d %b %Y, %H:%M" if due.year != datetime.now().year else "%a %-d %b, %H:%M"
    )  # the year when not this one
    expect(card.locator("dd.next-due time")).to_have_text(due.strftime(shown))
    expect(card).not_to_contain_text("overdue")
    expect(card).to_contain_text("every 3 months")

    # The next visit to the dose form offers every zone again: sessions are not rotated by zone.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log dose").click()
    expect(page.get_by_role("checkbox", name="mid-scalp")).to_be_checked()
    assert problems.messages == []


def test_ozempic_tracked_14_weeks_ago_offers_the_confirmed_step_not_the_optional_2_mg(open_page, live_server):
    """Issue 13: the semaglutide guide, the Ozempic regimen started 14 weeks ago, its past doses added; the dose
    form offers 0.5 mg (the last step the label sets), and 1 mg only once the person says they are moving to it."""
    base = live_server.url
    make_user("ines")
    page, problems = open_page(DESKTOP)
    page.goto(base + "/accounts/login/?next=/guides/semaglutide/")
    field(page, "Username").fill("ines")
    field(page, "Password").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#regimen-ozempic-weekly-ladder").get_by_role("link", name=re.compile("^Track this protocol")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Track Semaglutide (weekly injection)")
    started = (datetime.now() - timedelta(weeks=14)).date()
    field(page, "Start date").fill(started.isoformat())
    page.get_by_role("button", name="Save protocol").click()
    expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))

    # Add the past doses in one form: every planned week ticked, amounts as the ladder had them.
    main(page).get_by_role("link", name="Add past doses").first.click()
    rows = page.get_by_role("checkbox", name=re.compile("^Took the dose of row"))
    for i in range(rows.count()):
        rows.nth(i).check()
    page.get_by_role("button", name="Record ticked doses").click()
    expect(page).to_have_url(re.compile(r"/history/\?backfilled=\d+$"))

    # The dose form: 0.5 mg, not 1 mg or 2 mg, and the optional step offered in the label's words.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log dose").click()
    expect(field(page, "Amount")).to_have_value("0.5")
    offer = page.locator("#next-step")
    expect(offer).to_contain_text("Your dose stays at 0.5 mg")
    expect(offer).to_contain_text("The label allows step 3")
    offer.get_by_role("button", name="I am moving to step 3 (1 mg)").click()
    expect(page.get_by_role("status").first).to_contain_text("you moved to step 3")
    expect(field(page, "Amount")).to_have_value("1")
    assert Entry.objects.filter(user__username="ines", kind="protocol").count() == 2
    screenshot(page, "dose-form-ozempic-step-3-desktop")
    assert problems.messages == []


def test_signing_up_when_asked_also_comes_back_to_the_prefilled_form(open_page, live_server):
    """A first-time visitor has no account: from the log-in page they sign up, and must land on the form."""
    base = live_server.url
    page, problems = open_page(DESKTOP)
    page.goto(base + GUIDE)
    quarterly_row(page).get_by_role("link", name=re.compile("^Track this protocol")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    main(page).get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    field(page, "Username").fill("newcomer")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect_prefilled_quarterly_form(page, base)
    assert problems.messages == []


def page_overflow(page: Any) -> tuple[int, list[str]]:
    """How far the page spills past the layout viewport, and the culprits.

    Measured against documentElement.clientWidth, not window.innerWidth: with is_mobile, Chromium widens the
    layout viewport (and innerWidth with it) to fit content that overflows, so scrollWidth - innerWidth
    stays 0 however far the page spills.
    """
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const culprits = Array.from(document.querySelectorAll('body *'))
                .filter(el => el.getBoundingClientRect().right > width + 0.5 && !el.closest('.table-wrap > *'))
                .slice(0, 8)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().replace(/\\s+/g, '.') : '')
                           + ' right=' + Math.round(el.getBoundingClientRect().right));
            const hidden = Array.from(document.querySelectorAll('.table-wrap .visually-hidden'))
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .map(el => 'span.visually-hidden in .table-wrap right=' + Math.round(el.getBoundingClientRect().right));
            return [document.documentElement.scrollWidth - width, culprits.concat(hidden.slice(0, 3))];
        }"""
    )


def assert_no_sideways_scroll(page: Any, where: str) -> None:
    assert_fits_viewport(page, where)  # the shared check (blind under is_mobile, see page_overflow)
    spill, culprits = page_overflow(page)
    assert spill <= 0, f"{where}: the page scrolls sideways by {spill}px; culprits: {culprits}"


@pytest.mark.parametrize(
    ("viewport", "label", "options"),
    [(DESKTOP, "desktop", {}), (PHONE, "phone", {"is_mobile": True, "has_touch": True})],
    ids=["desktop-1280", "phone-390"],
)
def test_the_guide_page_is_screenshotted_and_renders_cleanly(open_page, live_server, viewport, label, options):
    page, problems = open_page(viewport, **options)
    page.goto(live_server.url + GUIDE)
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dutasteride mesotherapy")
    screenshot(page, f"guide-dutasteride-mesotherapy-{label}")  # as a visitor first sees it, for review
    for heading in ("Published dose framework", "Deep dive", "How it works", "Needle, device and route",
                    "Seen elsewhere, not confirmed by any source", "Frequently asked questions", "Sources"):  # fmt: skip
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="Disclaimer.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Track this protocol"))).to_have_count(3)
    # A citation number jumps to its entry in the source list.
    quarterly_row(page).get_by_role("link", name="[1]").click()
    expect(page).to_have_url(re.compile(r"#src-saceda-2022$"))
    expect(page.locator("#src-saceda-2022")).to_be_in_viewport()
    # The FAQ opens and closes.
    first_faq = page.locator("details").first
    first_faq.locator("summary").click()
    expect(first_faq).to_have_attribute("open", "")
    first_faq.locator("summary").click()
    expect(first_faq).not_to_have_attribute("open", "")
    assert low_contrast_text(page) == []
    assert problems.messages == []


def test_the_guide_page_does_not_scroll_sideways_on_a_390px_phone(open_page, live_server):
    """Only the dose table may scroll sideways, inside its own box; the page itself must not."""
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(live_server.url + GUIDE)
    page.wait_for_load_state()
    box = page.locator(".table-wrap").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    assert_no_sideways_scroll(page, "guide page on a 390 px phone")
    assert problems.messages == []


def test_the_guide_index_fits_a_phone_and_its_empty_state_offers_a_way_back(open_page, live_server):
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(live_server.url + "/guides/?q=unobtainium")
    expect(main(page).get_by_text("No guide matches “unobtainium”")).to_be_visible()
    assert_no_sideways_scroll(page, "empty guide index on a phone")
    main(page).get_by_role("link", name="see them all").click()
    expect(page.get_by_role("list", name="Guides").locator("li.card")).to_have_count(Guide.objects.count())
    assert_no_sideways_scroll(page, "guide index on a phone")
    screenshot(page, "guide-index-phone")
    assert problems.messages == []


def test_a_signed_up_person_goes_straight_to_the_prefilled_form(open_page, live_server):
    """Already logged in: "Track this protocol" opens the form at once."""
    base = live_server.url
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    sign_up(page, base, "already-here", PASSWORD)
    page.goto(base + GUIDE)
    quarterly_row(page).get_by_role("link", name=re.compile("^Track this protocol")).click()
    expect_prefilled_quarterly_form(page, base)
    assert_no_sideways_scroll(page, "prefilled protocol form on a phone")
    assert problems.messages == []
