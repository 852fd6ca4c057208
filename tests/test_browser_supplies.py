"""Issue 15 in a real Chromium: add a vial of powder, reconstitute it (the worked calculation shown first), log a
dose in syringe units from it, see the converted amount in the history and what is left on the dashboard; the
calculator with and without an account, its SVG syringe drawn to the mark, and its refusal of impossible input.

Desktop (1280 px) and phone (390x844) screenshots of the calculator and of the dashboard's supply panel land in
test-artifacts/. Skips without Chromium unless SHOTLEE_REQUIRE_BROWSER is set, like tests/test_browser.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from shotlee.ledger.models import Entry
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "vial lantern meadow forty-two"


def field(page: Any, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def calculate(page: Any, base: str, label: str, phone: bool) -> None:
    page.goto(base + "/supplies/calculator/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dose calculator")
    field(page, "Powder in the vial (mg)").fill("5")
    field(page, "Water added (mL)").fill("2")
    field(page, "Dose").fill("0.25")
    field(page, "Dose unit").select_option("mg")
    page.get_by_role("button", name="Calculate").click()
    result = page.get_by_role("region", name="Result")
    expect(result).to_contain_text("0.25 mg = 0.1 mL = 10 units on a U-100 syringe")
    expect(result.get_by_role("listitem")).to_have_text(
        ["5 mg ÷ 2 mL = 2.5 mg/mL", "0.25 mg ÷ 2.5 mg/mL = 0.1 mL", "0.1 mL × 100 units/mL = 10 units"]
    )
    syringe = page.get_by_role("img", name="A 0.3 mL U-100 syringe filled to 10 units")
    expect(syringe).to_be_visible()
    if phone:
        assert_fits_viewport(page, f"{label}: calculator")
    assert low_contrast_text(page) == [], label
    screenshot(page, f"supplies-calculator-{label}")
    # An impossible dose is refused by its field, and nothing is drawn.
    field(page, "Dose").fill("-1")
    page.get_by_role("button", name="Calculate").click()
    expect(page.get_by_role("alert")).to_contain_text("Dose: the dose must be greater than zero")
    expect(field(page, "Dose")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("region", name="Result")).to_have_count(0)


def test_add_reconstitute_log_in_syringe_units_and_see_it_everywhere(open_page, live_server):
    base = live_server.url
    page, problems = open_page(DESKTOP)
    sign_up(page, base, "vera", PASSWORD)
    page.goto(base + "/protocols/new/")
    field(page, "Compound").fill("semaglutide")
    field(page, "Dose").fill("0.25")
    field(page, "Unit").select_option("mg")
    field(page, "Route").select_option("subcutaneous")
    field(page, "Every").fill("1")
    field(page, "Period").select_option("weeks")
    page.get_by_role("button", name="Save protocol").click()
    expect(page).to_have_url(re.compile(r"/protocols/[0-9a-f-]{36}/$"))

    # A vial of powder: no strength until it is reconstituted.
    page.goto(base + "/supplies/add/")
    field(page, "Compound").fill("Semaglutide")
    field(page, "Form").select_option("vial")
    field(page, "Powder in the vial (mg)").fill("5")
    field(page, "Lot (optional)").fill("A12")
    page.get_by_role("button", name="Add supply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Semaglutide vial (lot A12)")
    expect(page.get_by_role("status").filter(has_text="Supply added.")).to_be_visible()
    expect(main(page)).to_contain_text("not yet reconstituted")

    main(page).get_by_role("link", name="Reconstitute").click()
    expect(field(page, "Powder in the vial (mg)")).to_have_value("5")
    field(page, "Water added (mL)").fill("2")
    page.get_by_role("button", name="Show the calculation").click()
    expect(page.get_by_role("status")).to_contain_text("5 mg ÷ 2 mL = 2.5 mg/mL")
    page.get_by_role("button", name="Record this concentration").click()
    expect(page.get_by_role("status").filter(has_text="Supply reconstituted.")).to_be_visible()
    expect(main(page)).to_contain_text("2.5 mg/mL")
    expect(main(page)).to_contain_text("Supply reconstituted: Semaglutide, 5 mg ÷ 2 mL = 2.5 mg/mL")

    # A dose read off a U-100 syringe: 10 units of 2.5 mg/mL is 0.25 mg.
    main(page).get_by_role("link", name="Log a dose from it").click()
    expect(field(page, "Drawn from")).to_have_value(re.compile(r"[0-9a-f-]{36}"))
    field(page, "Unit").select_option("syringe_units")
    field(page, "Amount").fill("10")
    page.get_by_role("button", name="Record dose").click()
    expect(page).to_have_url(base + "/history/?recorded=1")
    expect(main(page)).to_contain_text("0.25 mg semaglutide (entered as 10 syringe units)", ignore_case=True)
    page.goto(base + "/supplies/")
    expect(main(page)).to_contain_text("4.75 mg (1.9 mL) left")
    assert low_contrast_text(page) == []
    dose = Entry.objects.get(user__username="vera", kind="dose")
    assert (dose.amount_micro, dose.unit, dose.data["entered_unit"]) == (250_000, "mg", "syringe_units")

    # The dashboard: what is left, and how many doses that is.
    page.goto(base + "/")
    panel = page.get_by_role("region", name="Supplies")
    expect(panel).to_contain_text("4.75 mg (1.9 mL) left")
    expect(panel).to_contain_text("19 doses at semaglutide", ignore_case=True)
    assert low_contrast_text(page) == []
    screenshot(page, "supplies-dashboard-desktop")

    calculate(page, base, "desktop-signed-in", phone=False)
    assert problems.messages == []

    # On a phone: the same person's dashboard, and the calculator without an account.
    phone, _ = open_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(base + "/accounts/login/")
    field(phone, "Username").fill("vera")
    field(phone, "Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_load_state()
    phone.goto(base + "/")
    expect(phone.get_by_role("region", name="Supplies")).to_contain_text("4.75 mg (1.9 mL) left")
    assert_fits_viewport(phone, "phone: dashboard")
    screenshot(phone, "supplies-dashboard-phone")
    anonymous, _ = open_page(PHONE, is_mobile=True, has_touch=True)
    calculate(anonymous, base, "phone-anonymous", phone=True)
