"""Issue 14: axe-core (vendored for the tests, tests/vendor/) finds no serious or critical violation of WCAG 2.2 AA
(tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) on any page a person reaches, signed out and signed in with a
record that has something on every page. One Chromium session visits them all on a desktop; the pages a phone
uses most are checked again at 390 x 844 in dark mode (its colours are the ones most likely to fail contrast). The counts per page are printed (run with -s) and
written to test-artifacts/axe-counts.txt.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shotlee.accounts.services import issue_token
from shotlee.guides.loader import load_guides
from tests.browser_support import ARTIFACTS, DESKTOP, PHONE, axe_violations, expect, screenshot, serious
from tests.conftest import PASSWORD, Api, make_protocol, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_record_with_everything() -> dict[str, str]:
    """alice's record: a protocol from a guide and one by hand, doses (one corrected), a side effect, readings."""
    load_guides()
    alice = make_user("alice")
    api = Api(issue_token(alice))
    guided = api.post("/api/v1/protocols", {"guide": "dutasteride-mesotherapy", "regimen": "quarterly-0-1-mg"})
    assert guided.status_code == 201, guided.content
    weekly = make_protocol(api, name="Weekly semaglutide")
    ago = datetime.now(UTC) - timedelta(days=10)
    dose = api.post("/api/v1/doses", {"protocol": weekly["id"], "amount": "0.25", "occurred_at": ago.isoformat()})
    assert dose.status_code == 201, dose.content
    fixed = api.post(
        f"/api/v1/entries/{dose.json()['id']}/corrections", {"action": "correct", "reason": "typo", "amount": "0.5"}
    )
    assert fixed.status_code == 201, fixed.content
    effect = api.post("/api/v1/side-effects", {"symptom": "nausea", "severity": 3, "protocol": weekly["id"]})
    assert effect.status_code == 201, effect.content
    for value in (82.5, 82.1):
        assert api.post("/api/v1/metrics", {"type": "weight", "value": value}).status_code == 201
    return {"guided": guided.json()["id"], "weekly": weekly["id"], "effect": effect.json()["id"]}


PUBLIC = [
    ("landing", "/"),
    ("log in", "/accounts/login/"),
    ("sign up", "/accounts/signup/"),
    ("password reset", "/accounts/password/reset/"),
    ("guides", "/guides/"),
    ("dose calculator", "/supplies/calculator/"),
]
GUIDES = [
    "dutasteride-mesotherapy",
    "dutasteride-oral",
    "finasteride-oral",
    "finasteride-topical",
    "minoxidil-oral-low-dose",
    "minoxidil-topical",
    "semaglutide-oral",
    "semaglutide",
    "testosterone-cypionate",
    "testosterone-enanthate",
    "tirzepatide",
]


def signed_in_pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("welcome", "/welcome/"),
        ("dashboard", "/"),
        ("dose form", "/doses/log/?protocol=" + ids["weekly"]),
        ("dose form, guided protocol", "/doses/log/?protocol=" + ids["guided"]),
        ("back-fill", f"/doses/backfill/{ids['weekly']}/"),
        ("history", "/history/"),
        ("correct a record", f"/history/{ids['effect']}/correct/"),
        ("protocols", "/protocols/"),
        ("new protocol", "/protocols/new/"),
        ("track a guide", "/protocols/new/?guide=finasteride-oral&regimen=daily-1-mg"),
        ("protocol page", f"/protocols/{ids['guided']}/"),
        ("protocol page, by hand", f"/protocols/{ids['weekly']}/"),
        ("edit protocol", f"/protocols/{ids['weekly']}/edit/"),
        ("side effects", "/side-effects/"),
        ("side-effect form", "/side-effects/log/?protocol=" + ids["weekly"]),
        ("metrics", "/metrics/"),
        ("metric form", "/metrics/log/"),
        ("metric types", "/metrics/types/"),
        ("settings", "/accounts/settings/"),
        ("API tokens", "/accounts/tokens/"),
        ("password change", "/accounts/password/"),
        ("two-step verification", "/accounts/two-step/"),
        ("delete account", "/accounts/delete/"),
        ("your data", "/data/"),
        ("check a kept copy", "/data/check/"),
        ("import", "/data/import/"),
        ("clinician report", "/data/report/"),
        ("guide while signed in", "/guides/dutasteride-mesotherapy/"),
        ("offline page", "/offline/"),
        ("timeline, every protocol", "/timeline/"),
        ("timeline, one protocol", f"/timeline/{ids['weekly']}/"),
        ("timeline, no level curve", f"/timeline/{ids['guided']}/"),
        ("supplies", "/supplies/"),
        ("add a supply", "/supplies/add/"),
        ("reminders", "/reminders/"),
    ]


class Audit:
    def __init__(self) -> None:
        self.rows: list[tuple[str, int, int, list[str]]] = []
        self.seconds = 0.0

    def check(self, page: Any, name: str) -> None:
        started = time.monotonic()
        found = axe_violations(page)
        took = time.monotonic() - started
        self.seconds += took
        bad = serious(found)
        self.rows.append((name, len(found), len(bad), [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in found]))

    def report(self) -> str:
        lines = [f"{'page':<48} violations  serious+critical"]
        lines += [f"{name:<48} {total:>10}  {bad:>16}" for name, total, bad, _ in self.rows]
        details = [f"{name}: {d}" for name, _, _, ds in self.rows for d in ds]
        return "\n".join(lines + ([""] + details if details else []))


def visit(page: Any, base: str, path: str) -> None:
    response = page.goto(base + path)
    assert response is not None and response.status < 400, (path, response and response.status)
    page.wait_for_load_state()


def test_no_serious_or_critical_axe_violation_on_any_page(open_page, live_server):
    ids = a_record_with_everything()
    base = live_server.url
    audit = Audit()
    page, problems = open_page(DESKTOP)
    for name, path in PUBLIC + [(f"guide {slug}", f"/guides/{slug}/") for slug in GUIDES]:
        visit(page, base, path)
        audit.check(page, f"{name} (signed out)")

    page.goto(base + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill("alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    pages = signed_in_pages(ids)
    for name, path in pages:
        visit(page, base, path)
        audit.check(page, name)
    # Pages reached by pressing a button: a dose held back by a warning, and the full check of the record.
    for _ in range(2):  # the second dose straight after the first is too soon
        visit(page, base, "/doses/log/?protocol=" + ids["weekly"])
        page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_role("button", name="Record anyway")).to_be_visible()
    audit.check(page, "dose form with warnings")
    visit(page, base, "/history/")
    page.get_by_role("button", name="Check the whole record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record check")
    audit.check(page, "record check")

    # The check itself can fail: a picture without a text alternative, added to a page, is found.
    visit(page, base, "/offline/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=/static/favicon.svg>')")
    assert "image-alt" in {v["id"] for v in serious(axe_violations(page))}

    # A phone in dark mode: the pages used every day, and the "More" menu open.
    phone, _ = open_page(PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    phone.goto(base + "/accounts/login/")
    phone.get_by_label("Username", exact=True).fill("alice")
    phone.get_by_label("Password", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()
    for name, path in [p for p in pages if p[0] in PHONE_PAGES]:
        visit(phone, base, path)
        audit.check(phone, f"{name} (phone, dark)")
        screenshot(phone, f"axe-{name.replace(' ', '-').replace(',', '')}-phone-dark")
    phone.get_by_role("button", name="More").click()
    expect(phone.get_by_role("link", name="Settings")).to_be_visible()
    audit.check(phone, "More menu open (phone, dark)")
    screenshot(phone, "axe-more-menu-phone-dark")

    report = audit.report()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-counts.txt").write_text(report + "\n", encoding="utf-8")
    print(f"\naxe-core 4.14.1, WCAG 2.2 AA rule set ({audit.seconds:.1f} s in axe)\n" + report)
    assert len(audit.rows) == len(PUBLIC) + len(GUIDES) + len(pages) + 2 + len(PHONE_PAGES) + 1
    failing = [(name, details) for name, _, bad, details in audit.rows if bad]
    assert failing == [], failing
    assert problems.messages == []


PHONE_PAGES = {"dashboard", "dose form", "history", "side-effect form", "protocol page"}
