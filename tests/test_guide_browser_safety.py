"""Issue 13 in a real Chromium on a 390 px phone: the regimen table becomes stacked cards that nothing clips, the
boxed warning is the first thing in the safety section, and every citation link is a 44 px touch target.
Skips without Chromium unless SHOTLEE_REQUIRE_BROWSER is set, like the other browser tests.
"""

from __future__ import annotations

import pytest

from shotlee.guides.loader import load_guides
from shotlee.guides.models import Guide
from tests.browser_support import PHONE, assert_fits_viewport, expect, low_contrast_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def guides(transactional_db):
    load_guides()


@pytest.mark.parametrize("slug", ["semaglutide", "dutasteride-mesotherapy", "testosterone-enanthate"])
def test_on_a_phone_the_regimens_are_unclipped_cards_and_citations_are_44px_targets(open_page, live_server, slug):
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/guides/{slug}/")
    page.wait_for_load_state()
    safety = page.locator("#safety")
    expect(safety.get_by_role("heading", level=2)).to_have_text("Safety information")
    if Guide.objects.get(slug=slug).data["safety"]["boxed_warning"] == "none":
        expect(safety.locator("p.no-boxed")).to_contain_text("Boxed warning: none")
    else:
        expect(safety.get_by_role("heading", level=3).first).to_contain_text("Boxed warning")
    assert_fits_viewport(page, f"{slug} on a 390 px phone")
    width = PHONE["width"]
    clipped = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('table.framework tr, table.framework th, table.framework td'))
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName + ' right=' + Math.round(el.getBoundingClientRect().right))""",
        width,
    )
    assert clipped == [], clipped
    scrollable = page.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; }"
    )
    assert scrollable <= 0, f"the regimen table still scrolls sideways by {scrollable}px"
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('a.cite-link, .cite a, table.framework td a[href^="#src-"]'))
            .map(a => a.getBoundingClientRect()).filter(r => r.width < 44 || r.height < 44)
            .map(r => Math.round(r.width) + 'x' + Math.round(r.height))"""
    )
    assert small == [], f"citation links below 44 px: {small[:5]}"
    assert low_contrast_text(page) == []
    assert problems.messages == []
