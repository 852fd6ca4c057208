"""A person's whole journey through the web pages, in a real Chromium: sign up, keep a protocol, log doses,
meet a warning, record anyway, void and correct mistakes, check the record, log out.

Numbered checks follow the brief: (1) sign-up, (2) protocol, (3) dose, (4) too-soon warning and "Record
anyway", (5) void with a reason, (6) correction, (7) verification, (8) log-out. The same journey runs on a
desktop viewport and on a 390 px-wide phone, where every page must also fit without sideways scrolling.
Screenshots of the warning page and of the history land in test-artifacts/ for review.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from shotlee.accounts.models import Profile
from shotlee.ledger.models import Entry, LedgerHead
from tests.browser_support import (
    DESKTOP,
    PHONE,
    assert_fits_viewport,
    entry,
    expect,
    fill_protocol,
    low_contrast_text,
    main,
    screenshot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "plum kettle harbour seventeen"
PROTOCOL = {
    "compound": "dutasteride",
    "dose": "0.5",
    "unit": "mg",
    "route": "intradermal",
    "every": "1",
    "every_unit": "weeks",
    "min_interval": "5",
    "min_interval_unit": "days",
    "max_single_dose": "2",
    "sites": "frontal, vertex, crown",
}


def open_record(page: Any) -> None:
    """Open the history's "details": the record as stored, with sequence numbers and the chain head."""
    record = page.locator("details#record")
    if record.get_attribute("open") is None:
        record.locator("summary").click()
    expect(record).to_have_attribute("open", "")


def doses_of(username: str) -> int:
    return Entry.objects.filter(user__username=username, kind="dose").count()


class Journey:
    """The steps of one person's visit; on a phone every page they land on must fit the viewport."""

    def __init__(self, page: Any, base: str, username: str, label: str, phone: bool, audit: bool = False):
        self.page, self.base, self.username, self.label, self.phone = page, base, username, label, phone
        self.audit = audit
        self.protocol_url = ""
        self.first_when = ""  # the "When" the dose form offered for the first dose, in the person's time
        self.unreadable: dict[str, list[str]] = {}

    def landed(self, where: str) -> None:
        self.page.wait_for_load_state()
        if self.phone:
            assert_fits_viewport(self.page, f"{self.label} {where}")
        if self.audit:
            found = low_contrast_text(self.page)
            if found:
                self.unreadable[where] = found

    def fact(self, term: str) -> Any:
        return self.page.locator(
            f"xpath=//dl[contains(@class,'facts')]/dt[normalize-space()='{term}']/following-sibling::dd[1]"
        )

    # (1) Sign up, see the first-run page's two ways to start, skip it and land on the empty dashboard.
    def sign_up(self) -> None:
        page = self.page
        sign_up(page, self.base, self.username, PASSWORD)
        expect(page).to_have_url(self.base + "/welcome/")
        expect(page.get_by_role("link", name="Start from a guide")).to_be_visible()
        expect(page.get_by_role("link", name="Set up a protocol by hand")).to_be_visible()
        self.landed("first-run page")
        page.get_by_role("link", name="Skip for now and go to the dashboard").click()
        expect(page).to_have_url(self.base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your protocols")
        expect(main(page).get_by_text("You are not tracking anything yet.")).to_be_visible()
        expect(page.get_by_role("link", name="Create your own protocol")).to_be_visible()
        self.landed("dashboard")

    # (2) Create a protocol from the empty state; its page shows the values and the version.
    def create_protocol(self) -> None:
        page = self.page
        page.get_by_role("link", name="Create your own protocol").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("New protocol")
        self.landed("new protocol form")
        fill_protocol(page, PROTOCOL)
        page.get_by_role("button", name="Save protocol").click()
        expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))
        self.protocol_url = page.url
        expect(page.get_by_role("heading", level=1)).to_contain_text("dutasteride")
        expect(self.fact("Compound")).to_contain_text("dutasteride")
        expect(self.fact("Dose")).to_have_text("0.5 mg, intradermal")
        expect(self.fact("How often")).to_have_text("every week")
        expect(self.fact("Minimum gap")).to_have_text("5 days")
        expect(self.fact("Maximum single dose")).to_have_text("2 mg")
        expect(self.fact("Sites")).to_have_text("frontal, vertex, crown")
        expect(self.fact("Last dose")).to_have_text("none yet")
        versions = page.locator("ul.versions > li")
        expect(versions).to_have_count(1)
        expect(versions.first).to_contain_text(
            re.compile(r"^.* · Started — 0\.5 mg, at least 5 days apart, at most 2 mg per dose$")
        )
        self.landed("protocol page")

    # (3) Log a dose from the protocol page: amount and site come prefilled.
    def log_first_dose(self) -> None:
        page = self.page
        main(page).get_by_role("link", name="Log dose").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log a dose")
        expect(page.get_by_label("Amount", exact=True)).to_have_value("0.5")
        expect(page.get_by_label("Unit", exact=True)).to_have_value("mg")
        expect(page.get_by_label("Site", exact=True)).to_have_value("frontal")
        when = page.get_by_label("When", exact=True)
        expect(when).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
        self.first_when = when.input_value()
        self.landed("dose form")
        page.get_by_role("button", name="Record dose").click()
        expect(page).to_have_url(self.base + "/history/?recorded=1")
        expect(page.get_by_role("status")).to_have_text("Saved: dose recorded.")
        open_record(page)
        first = entry(page, 2)
        expect(first).to_contain_text("0.5 mg")
        expect(first).to_contain_text("dutasteride")
        expect(first).to_contain_text("frontal")
        assert doses_of(self.username) == 1
        self.landed("history after the first dose")

    # (4) A second dose straight away is held back with a warning until "Record anyway".
    def log_second_dose_too_soon(self) -> None:
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Log dose").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log a dose")
        expect(page.get_by_label("Site", exact=True)).to_have_value("vertex")  # the next site in rotation
        page.get_by_role("button", name="Record dose").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("Nothing has been recorded yet")
        expect(alert.locator("li[data-code=too_soon]")).to_contain_text("minimum interval is 5 days")
        expect(alert.locator("li[data-code=possible_duplicate]")).to_contain_text("already recorded")
        expect(page.get_by_role("button", name="Record anyway")).to_be_visible()
        expect(page.get_by_role("button", name="Record dose")).to_have_count(0)
        expect(page.get_by_label("Amount", exact=True)).to_have_value("0.5")
        assert doses_of(self.username) == 1, "a warned dose must not be recorded before 'Record anyway'"
        self.landed("dose warning")
        screenshot(page, f"dose-warning-{self.label}")
        page.get_by_role("button", name="Record anyway").click()
        expect(page).to_have_url(self.base + "/history/?recorded=1")
        expect(page.get_by_role("status")).to_have_text("Saved: dose recorded.")
        open_record(page)
        expect(page.locator("ol.history > li.kind-dose")).to_have_count(2)
        second = entry(page, 3)
        expect(second).to_contain_text("0.5 mg")
        expect(second).to_contain_text("vertex")
        acks = second.get_by_role("list", name="Warnings acknowledged")
        expect(acks).to_contain_text("Too soon acknowledged")
        expect(acks).to_contain_text("Possible duplicate acknowledged")
        expect(entry(page, 2).locator("ul.acks")).to_have_count(0)
        assert doses_of(self.username) == 2
        self.landed("history after record anyway")

    # (5) Void the duplicate with a reason: the original stays, struck through.
    def void_second_dose(self) -> None:
        page = self.page
        entry(page, 3).get_by_role("link", name="Void or correct").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Void or correct this dose")
        self.landed("void/correct form")
        page.get_by_label("It was entered in error (void it)").check()
        page.get_by_label("Reason", exact=True).fill("Logged twice from the phone")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(self.base + "/history/")
        open_record(page)
        voided = entry(page, 3)
        expect(voided).to_have_class(re.compile(r"\bsuperseded\b"))
        expect(voided.locator("s")).to_contain_text("0.5 mg")
        expect(voided).to_contain_text("Voided by #4")
        expect(voided.get_by_role("link", name="Void or correct")).to_have_count(0)
        void = entry(page, 4)
        expect(void).to_have_class(re.compile(r"\bkind-void\b"))
        expect(void).to_contain_text("Entered in error: #3")
        expect(void).to_contain_text("“Logged twice from the phone”")
        self.landed("history after the void")

    # (6) Correct the first dose's amount: struck through, and the new entry says what it corrects.
    def correct_first_dose(self) -> None:
        page = self.page
        open_record(page)
        entry(page, 2).get_by_role("link", name="Void or correct").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Void or correct this dose")
        page.get_by_label("Some details were wrong (correct them)").check()
        page.get_by_label("Reason", exact=True).fill("Drew up 0.4 mg, not 0.5")
        page.get_by_label("Amount", exact=True).fill("0.4")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(self.base + "/history/")
        open_record(page)
        corrected = entry(page, 2)
        expect(corrected).to_have_class(re.compile(r"\bsuperseded\b"))
        expect(corrected.locator("s")).to_contain_text("0.5 mg")
        expect(corrected).to_contain_text("Corrected by #5")
        replacement = entry(page, 5)
        expect(replacement).to_contain_text("0.4 mg")
        expect(replacement).to_contain_text("corrects #2")
        expect(replacement).to_contain_text("Correction: “Drew up 0.4 mg, not 0.5”")
        expect(replacement).not_to_have_class(re.compile(r"\bsuperseded\b"))
        assert doses_of(self.username) == 3  # two originals and the correction; the void is its own kind
        self.landed("history after the correction")
        screenshot(page, f"history-{self.label}")

    # (7) The history says Verified and shows the head; the full check agrees.
    def verify(self) -> None:
        page = self.page
        head = LedgerHead.objects.get(user__username=self.username)
        entries = Entry.objects.filter(user__username=self.username).count()
        assert (head.seq, entries) == (5, 5)
        expect(page.locator("#chain-state")).to_contain_text("Verified")
        chain = page.get_by_role("region", name="Record integrity")
        expect(chain).to_contain_text(f"Chain head: entry #{head.seq}")
        expect(chain.locator("code.hash")).to_have_text(head.head_hash[:16] + "…")
        expect(chain.locator("code.hash")).to_have_attribute("title", head.head_hash)
        page.get_by_role("button", name="Check the whole record").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Record check")
        expect(page.locator("#verify-result")).to_contain_text(f"All {entries} entries verified")
        expect(page.locator("code.hash")).to_have_text(head.head_hash)
        self.landed("record check")

    # (8) Log out; the history then sends you to the login page.
    def log_out(self) -> None:
        page = self.page
        page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
        page.goto(self.base + "/history/")
        expect(page).to_have_url(self.base + "/accounts/login/?next=/history/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
        expect(page.get_by_text("Verified")).to_have_count(0)
        self.landed("login after log-out")


def run_journey(page: Any, base: str, username: str, label: str, phone: bool, audit: bool = False) -> Journey:
    journey = Journey(page, base, username, label, phone, audit)
    journey.sign_up()
    journey.create_protocol()
    journey.log_first_dose()
    journey.log_second_dose_too_soon()
    journey.void_second_dose()
    journey.correct_first_dose()
    journey.verify()
    journey.log_out()
    return journey


def test_a_too_short_password_shows_why_and_creates_no_user(open_page, live_server):
    page, problems = open_page(DESKTOP)
    sign_up(page, live_server.url, "shorty", "short pw")
    expect(page).to_have_url(live_server.url + "/accounts/signup/")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This password is too short. It must contain at least 12 characters.")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Username", exact=True)).to_have_value("shorty")
    assert not get_user_model().objects.filter(username="shorty").exists()
    assert problems.messages == []


def test_a_person_signs_up_logs_doses_meets_a_warning_and_fixes_the_record(open_page, live_server):
    page, problems = open_page(DESKTOP, timezone_id="Europe/Berlin")
    run_journey(page, live_server.url, "dana", "desktop", phone=False)
    # The sign-up form took the browser's time zone, so "When" and the warnings read in local time.
    assert Profile.objects.get(user__username="dana").timezone == "Europe/Berlin"
    assert problems.messages == []


def test_the_same_journey_fits_a_390px_phone(open_page, live_server):
    page, problems = open_page(PHONE, timezone_id="America/New_York", is_mobile=True, has_touch=True)
    run_journey(page, live_server.url, "a-rather-long-username-on-a-small-phone", "phone", phone=True)
    assert problems.messages == []


def test_the_history_shows_times_in_the_persons_own_time_zone(open_page, live_server):
    """Settings promise "Times you type and see are in this zone": what the dose form offered is what the
    history shows."""
    page, problems = open_page(DESKTOP, timezone_id="Europe/Berlin")
    journey = Journey(page, live_server.url, "berta", "berlin", phone=False)
    journey.sign_up()
    journey.create_protocol()
    journey.log_first_dose()
    typed = datetime.fromisoformat(journey.first_when)
    shown = entry(page, 2).locator("time").inner_text()  # log_first_dose waited for the page and opened the record
    assert shown == typed.strftime("%a %-d %b %Y, %H:%M"), f"form offered {journey.first_when}, history shows {shown}"
    assert problems.messages == []


def test_text_on_every_page_of_the_journey_meets_wcag_aa_contrast(open_page, live_server):
    page, _ = open_page(DESKTOP)
    journey = run_journey(page, live_server.url, "carol", "contrast", phone=False, audit=True)
    pages_by_finding: dict[str, list[str]] = {}
    for where, findings in journey.unreadable.items():
        for finding in findings:
            pages_by_finding.setdefault(finding, []).append(where)
    report = "\n".join(f"{finding}  [on: {', '.join(pages)}]" for finding, pages in pages_by_finding.items())
    assert not pages_by_finding, "text below WCAG AA contrast:\n" + report
