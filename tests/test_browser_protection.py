"""Issue 12 in a real Chromium: when the ledger's append-only protection is missing, a person logging a dose is
told recording is off (and nothing is recorded), and "Check the whole record" says the record is not protected;
a request with a character that cannot be stored gets a plain refusal page. Desktop and phone; screenshots land in
test-artifacts/ for review."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from shotlee.accounts.services import issue_token
from shotlee.ledger import triggers
from shotlee.ledger.models import Entry
from tests.browser_support import DESKTOP, PHONE, assert_fits_viewport, expect, main, screenshot, sign_up
from tests.conftest import Api, make_protocol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet harbour lamp seventy"


@pytest.fixture
def restore_triggers(transactional_db):
    yield
    triggers.install(connection)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_person_is_told_recording_is_off_when_the_protection_is_missing(
    open_page, live_server, restore_triggers, viewport
):
    page, problems = open_page(viewport)
    name = "dana" if viewport is DESKTOP else "dana-phone"
    sign_up(page, live_server.url, name, PASSWORD)
    user = User.objects.get(username=name)
    make_protocol(Api(issue_token(user)))
    table, trigger = triggers.expected_triggers(connection.vendor)[0]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {trigger}" + (f" ON {table}" if connection.vendor == "postgresql" else ""))

    page.goto(live_server.url + "/history/")
    page.get_by_role("button", name="Check the whole record").click()
    expect(main(page).get_by_text("The record is not protected against changes.")).to_be_visible()
    assert_fits_viewport(page, "record check")
    screenshot(page, f"protection-check-{'desktop' if viewport is DESKTOP else 'phone'}")

    page.goto(live_server.url + "/doses/log/")
    page.get_by_role("button", name="Record dose").click()
    expect(main(page).get_by_text("Recording is switched off")).to_be_visible()
    assert_fits_viewport(page, "dose form")
    screenshot(page, f"protection-dose-{'desktop' if viewport is DESKTOP else 'phone'}")
    assert Entry.objects.for_user(user).filter(kind="dose").count() == 0
    assert not problems.messages


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_request_with_a_nul_character_gets_a_plain_refusal(open_page, live_server, viewport):
    page, problems = open_page(viewport)
    response = page.goto(live_server.url + "/guides/?q=fin%00asteride")
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="This request was refused")).to_be_visible()
    expect(main(page).get_by_text("Nothing was changed.")).to_be_visible()
    assert_fits_viewport(page, "refusal page")
    screenshot(page, f"bad-request-{'desktop' if viewport is DESKTOP else 'phone'}")
