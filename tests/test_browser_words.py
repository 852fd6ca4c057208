"""Issue 14, "Words and numbers", in a real Chromium on a 1280 px desktop and a 390 px phone, as a person does it:

- the protocol form asks for the minimum gap as a number and a unit; a start in the year 3000 is refused with the
  field named as its label ("Start date"), nothing else; the protocol page says "12 weeks", never "2016 h";
- the dose form marks the suggested site as a suggestion and the history says "Saved";
- the history is a diary: a corrected dose is one line with a "corrected" mark that opens the stored record,
  where the sequence numbers and the chain head are (and nowhere else); the full check explains the fingerprint
  and the signed checkpoint can be saved as a file;
- a weight typed in lb stays typed when another metric is chosen, becomes the preference (said once), and the
  history shows it as typed.

Screenshots of the protocol form with its error, the diary, the record check and the reading form land in
test-artifacts/ for review.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shotlee.accounts.models import Profile
from shotlee.ledger.models import Entry
from tests.browser_support import DESKTOP, PHONE, assert_fits_viewport, expect, main, screenshot, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet lantern orchard ninety"


def field(page: Any, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def fact(page: Any, term: str) -> Any:
    return page.locator(f"xpath=//dl[contains(@class,'facts')]/dt[normalize-space()='{term}']/following-sibling::dd[1]")


def visible_text(page: Any) -> str:
    """The words a person sees in <main> (a closed <details> hides its content)."""
    return page.get_by_role("main").inner_text()


@pytest.mark.parametrize(
    ("viewport", "label", "options"),
    [(DESKTOP, "desktop", {}), (PHONE, "phone", {"is_mobile": True, "has_touch": True})],
    ids=["desktop-1280", "phone-390"],
)
def test_words_and_numbers_as_a_person_sees_them(open_page, live_server, viewport, label, options):
    page, problems = open_page(viewport, **options)
    base = live_server.url
    phone = label == "phone"
    username = f"words-{label}"
    sign_up(page, base, username, PASSWORD)

    def fits(where: str) -> None:
        if phone:
            assert_fits_viewport(page, f"{label}: {where}")

    # The protocol form: durations in the unit a person thinks in; an implausible start refused by its label.
    page.goto(base + "/protocols/new/")
    field(page, "Compound").fill("dutasteride")
    field(page, "Dose").fill("0.1")
    field(page, "Route").select_option("intradermal")
    field(page, "Every").fill("3")
    field(page, "Period").select_option("months")
    field(page, "Minimum gap").fill("12")
    field(page, "Minimum gap in").select_option("weeks")
    field(page, "Sites, separated by commas (optional)").fill("frontal, vertex")
    field(page, "Start date").fill("3000-01-01")
    page.get_by_role("button", name="Save protocol").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Start date: is more than a year ahead; check the year")
    assert "starts_on" not in alert.inner_text() and "Startson" not in alert.inner_text()
    expect(field(page, "Minimum gap")).to_have_value("12")  # what was typed stays
    fits("protocol form with an error")
    screenshot(page, f"words-protocol-form-error-{label}")
    field(page, "Start date").fill("2026-01-05")
    page.get_by_role("button", name="Save protocol").click()
    expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))
    expect(fact(page, "Minimum gap")).to_have_text("12 weeks")
    assert "2016" not in visible_text(page) and " h" not in fact(page, "Minimum gap").inner_text()
    expect(page.locator("ul.versions > li")).to_contain_text("Started — 0.1 mg, at least 12 weeks apart")
    fits("protocol page")

    # The dose form: the suggested site is marked as a suggestion; the save is confirmed.
    main(page).get_by_role("link", name="Log dose").click()
    expect(field(page, "Site").locator("option:checked")).to_have_text("frontal (suggested)")
    expect(page.get_by_text("It is only a suggestion")).to_be_visible()
    page.get_by_role("button", name="Record dose").click()
    expect(page).to_have_url(base + "/history/?recorded=1")
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text("Saved: dose recorded.")

    # The diary: the dose once; corrected, still once, with a mark that opens the trail.
    diary = page.get_by_role("list", name="Your history")
    expect(diary.locator("li.diary-item.kind-dose")).to_have_count(1)
    diary.locator("li.diary-item.kind-dose").get_by_role("link", name=re.compile("^Void or correct")).click()
    page.get_by_role("radio", name=re.compile("correct", re.I)).last.check()
    field(page, "Reason").fill("I drew 0.2 mg")
    field(page, "Amount").fill("0.2")
    main(page).get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/history/"))
    doses = page.get_by_role("list", name="Your history").locator("li.diary-item.kind-dose")
    expect(doses).to_have_count(1)
    expect(doses.first).to_contain_text("0.2 mg")
    expect(doses.first).to_contain_text("Corrected: “I drew 0.2 mg”")
    seen = visible_text(page)
    assert not re.search(r"#\d|Chain head|[0-9a-f]{16}", seen), seen
    expect(page.get_by_text("Chain head")).to_be_hidden()
    fits("history diary")
    screenshot(page, f"words-history-diary-{label}")
    doses.first.get_by_role("link", name=re.compile("^corrected")).click()
    expect(page.locator("details#record")).to_have_attribute("open", "")
    expect(page.get_by_text("Chain head")).to_be_visible()
    expect(page.locator("#entry-2")).to_contain_text("Corrected by")

    # The full check explains its fingerprint and offers the signed checkpoint.
    page.get_by_role("button", name="Check the whole record").click()
    expect(page.locator("#verify-result")).to_contain_text("All 3 entries verified")
    expect(page.get_by_role("main")).to_contain_text("fingerprint computed from the entry and the fingerprint")
    fits("record check")
    screenshot(page, f"words-record-check-{label}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Save the signed checkpoint").click()
    kept = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert kept[0]["seq"] == 3 and kept[0]["head_hash"] == page.locator("#head-hash").inner_text()

    # A weight in lb: kept while choosing another metric, the unit adopted (said once), shown as typed.
    page.goto(base + "/metrics/log/?type=weight")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log weight")
    field(page, "Value").fill("182.4")
    field(page, "Unit").select_option("lb")
    field(page, "Metric").select_option("dht")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log DHT")
    expect(field(page, "Value")).to_have_value("182.4")
    field(page, "Metric").select_option("weight")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log weight")
    field(page, "Unit").select_option("lb")
    fits("reading form")
    screenshot(page, f"words-reading-form-{label}")
    page.get_by_role("button", name="Record reading").click()
    expect(page.get_by_text("Weight is shown in lb from now on, the unit you typed.")).to_be_visible()
    assert Profile.objects.get(user__username=username).preferred_units == {"weight": "lb"}
    page.goto(base + "/history/")
    expect(page.get_by_role("list", name="Your history")).to_contain_text("Weight: 182.4 lb")
    assert Entry.objects.filter(user__username=username, kind="metric").count() == 1
    assert problems.messages == []
