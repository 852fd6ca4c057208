"""Issue 11 in a real Chromium: download each export from "Your data", check a kept copy, import a CSV with a
warning to confirm, change the password, reset it through the emailed link (a real SMTP server), revoke a token
and see the API refuse it, delete the account. Screenshots of each page at 1280 px and 390 px land in
test-artifacts/.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry, Tombstone
from shotlee.lib import exportcheck
from tests.browser_support import (
    DESKTOP,
    PHONE,
    assert_fits_viewport,
    expect,
    low_contrast_text,
    main,
    nav_to,
    screenshot,
)
from tests.conftest import PASSWORD, Api, make_protocol, make_user
from tests.mail_support import smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW = "a brand new long passphrase 42"
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def look(page: Any, name: str, viewport: str) -> None:
    assert_fits_viewport(page, name)
    assert low_contrast_text(page) == [], name
    screenshot(page, f"data-{name}-{viewport}")


def seeded(username: str) -> Any:
    user = make_user(username)
    api = Api(issue_token(user))
    protocol = make_protocol(api, name="Weekly sema")
    start = datetime.now(UTC) - timedelta(days=30)
    for i in range(3):
        at = (start + timedelta(days=7 * i)).isoformat()
        assert (
            api.post("/api/v1/doses", {"protocol": protocol["id"], "amount": "0.25", "occurred_at": at}).status_code
            == 201
        )
    assert api.post("/api/v1/metrics", {"type": "weight", "value": "80.5"}).status_code == 201
    return user


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_download_each_export_and_check_the_kept_copy(open_page, live_server, viewport, tmp_path):
    seeded("dora")
    page, problems = open_page(VIEWPORTS[viewport])
    log_in(page, live_server.url, "dora")
    nav_to(page, "Settings")
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    look(page, "your-data", viewport)
    files = {}
    for label in ("Complete record (JSON)", "Spreadsheets (CSV, zip)", "For health apps (FHIR)"):
        with page.expect_download() as caught:
            main(page).get_by_role("link", name=label).click()
        download = caught.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        files[label] = path
    document = exportcheck.load(files["Complete record (JSON)"].read_bytes())
    assert exportcheck.check(document).ok and document["head"]["seq"] == 5
    assert {"dose.csv", "metric.csv"} <= set(
        zipfile.ZipFile(io.BytesIO(files["Spreadsheets (CSV, zip)"].read_bytes())).namelist()
    )
    bundle = json.loads(files["For health apps (FHIR)"].read_text())
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 1 + 3 + 1
    page.get_by_role("link", name="Check a saved copy").click()
    page.get_by_label("Saved file").set_input_files(str(files["Complete record (JSON)"]))
    page.get_by_role("button", name="Check it").click()
    expect(page.locator("#check-result")).to_contain_text("still contains this copy unchanged")
    look(page, "check", viewport)
    assert problems.messages == []


def test_import_a_csv_with_a_warning_to_confirm(open_page, live_server, tmp_path):
    seeded("ida")
    page, problems = open_page(DESKTOP)
    log_in(page, live_server.url, "ida")
    page.goto(live_server.url + "/data/import/")
    today = datetime.now(UTC) - timedelta(hours=1)
    csv_path = tmp_path / "doses.csv"
    csv_path.write_text(
        "occurred_at,protocol,compound,amount,unit,route,site,note\n"
        f"{(today - timedelta(hours=3)).isoformat()},Weekly sema,,0.25,mg,,,from my notebook\n"
        f"{today.isoformat()},Weekly sema,,0.5,mg,,,from my notebook\n"
    )
    page.get_by_label("File to import").set_input_files(str(csv_path))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-warnings")).to_contain_text("Nothing is imported yet")
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        look(page, "import-warnings", name)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Import anyway, with these warnings recorded").click()
    expect(page.locator("#import-result")).to_contain_text("2 records imported")
    assert Entry.objects.filter(user__username="ida", payload__contains="from my notebook").count() == 2
    assert problems.messages == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_change_the_password(open_page, live_server, viewport):
    make_user("pat")
    page, problems = open_page(VIEWPORTS[viewport])
    log_in(page, live_server.url, "pat")
    page.goto(live_server.url + "/accounts/settings/")
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill("not it")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(main(page)).to_contain_text("Your old password was entered incorrectly")
    look(page, "password-error", viewport)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(main(page)).to_contain_text("Your password is changed")
    other, _ = open_page(DESKTOP)
    log_in(other, live_server.url, "pat", NEW)
    expect(other.get_by_role("button", name="Log out")).to_be_visible()
    assert problems.messages == []


def test_reset_the_password_through_the_emailed_link(open_page, live_server, settings):
    user = make_user("rita")
    user.email = "rita@example.org"
    user.save()
    with smtp_server(settings) as inbox:
        page, problems = open_page(PHONE)
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email").fill("rita@example.org")
        page.get_by_role("button", name="Send the link").click()
        expect(page.locator("#reset-sent")).to_be_visible()
        assert len(inbox.messages) == 1
        link = inbox.link()
    assert link.startswith(live_server.url)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    look(page, "reset-confirm", "phone")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#reset-complete")).to_be_visible()
    log_in(page, live_server.url, "rita", NEW)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert problems.messages == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_revoke_a_token_and_the_api_refuses_it(open_page, live_server, viewport):
    make_user("tom")
    page, problems = open_page(VIEWPORTS[viewport])
    log_in(page, live_server.url, "tom")
    page.goto(live_server.url + "/accounts/settings/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("my script")
    page.get_by_label("Expires").select_option("90")
    page.get_by_role("button", name="Create a token").click()
    token = page.get_by_label("New token").input_value()
    api = f"{live_server.url}/api/v1/doses"
    assert requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    page.goto(live_server.url + "/accounts/tokens/")
    expect(page.locator("#tokens")).to_contain_text("my script")
    look(page, "tokens", viewport)
    page.get_by_role("button", name="Revoke my script").click()
    expect(main(page)).to_contain_text("is revoked")
    assert requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    assert problems.messages == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_delete_the_account(open_page, live_server, viewport):
    user = seeded("del")
    page, problems = open_page(VIEWPORTS[viewport])
    log_in(page, live_server.url, "del")
    page.goto(live_server.url + "/data/")
    page.get_by_role("link", name="Delete my account and every record").click()
    expect(main(page)).to_contain_text("Download your data first")
    look(page, "delete", viewport)
    page.get_by_label("Type your password to confirm").fill("wrong one")
    page.get_by_role("button", name="Delete my account and every record").click()
    expect(page.locator("#delete-error")).to_contain_text("Nothing was deleted")
    page.get_by_label("Type your password to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account and every record").click()
    expect(page.locator("#deleted")).to_be_visible()
    assert not Entry.objects.filter(user_id=user.pk).exists() and Tombstone.objects.filter(user_id=user.pk).exists()
    page.goto(live_server.url + "/history/")
    assert "/accounts/login/" in page.url
    assert problems.messages == []
