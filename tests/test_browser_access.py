"""Accounts and access in a real Chromium: a lockout after wrong passwords, turning on two-step verification (the
key read from the page, codes computed with pyotp), logging in with a code and with a recovery code, and an
invite-only sign-up. Screenshots at 1280 px and 390 px land in test-artifacts/.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from shotlee.accounts.invites import invite_path, make_invite
from shotlee.accounts.models import Invite, TwoStep
from tests.browser_support import DESKTOP, PHONE, assert_fits_viewport, expect, low_contrast_text, main, screenshot
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def look(page: Any, name: str, viewport: str) -> None:
    assert_fits_viewport(page, name)
    assert low_contrast_text(page) == [], name
    screenshot(page, f"access-{name}-{viewport}")


def log_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_wrong_passwords_pause_log_in_with_the_same_page_for_any_name(open_page, live_server, settings, viewport):
    settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
    make_user("alice")
    page, problems = open_page(VIEWPORTS[viewport])
    for _ in range(2):
        log_in(page, live_server.url, "alice", "a wrong guess")
        expect(page.get_by_role("alert")).to_contain_text("did not match")
    log_in(page, live_server.url, "alice", "a wrong guess")
    expect(page.get_by_role("heading", name="Log-in paused")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Too many failed log-ins. Wait 15 minutes, then try again.")
    look(page, "locked", viewport)
    log_in(page, live_server.url, "alice")  # the right password does not get through either
    expect(page.get_by_role("heading", name="Log-in paused")).to_be_visible()
    for _ in range(3):  # an unknown name: the same pages, in the same order
        log_in(page, live_server.url, "nobody", "a wrong guess")
    expect(page.get_by_role("alert")).to_have_text("Too many failed log-ins. Wait 15 minutes, then try again.")
    assert problems.messages == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_turning_on_two_step_verification_then_logging_in_with_a_code_and_a_recovery_code(
    open_page, live_server, viewport
):
    make_user("alice")
    page, problems = open_page(VIEWPORTS[viewport])
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(base + "/accounts/settings/")
    main(page).get_by_role("link", name="Set up two-step verification").click()
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    look(page, "two-step-setup", viewport)

    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)  # what the person's authenticator app computes from the key
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("alert")).to_contain_text("That code does not match")
    page.get_by_label("Code from your app").fill(app.now())
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10
    look(page, "recovery-codes", viewport)
    page.get_by_role("link", name="I have saved them").click()
    expect(main(page)).to_contain_text("On: logging in asks for a code")
    log_out(page)

    # The password alone leads to the code step; the app's next code (30 s of drift are allowed) logs in.
    log_in(page, base, "alice")
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    look(page, "login-code", viewport)
    page.get_by_label("Code", exact=True).fill("123456")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.get_by_label("Code", exact=True).fill(app.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    log_out(page)

    # Lost phone: a recovery code, once.
    log_in(page, base, "alice")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(base + "/accounts/two-step/")
    expect(main(page)).to_contain_text("Recovery codes left: 9 of 10")
    log_out(page)
    log_in(page, base, "alice")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")
    assert TwoStep.objects.count() == 1
    assert problems.messages == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_sign_up_by_invite_only(open_page, live_server, settings, viewport):
    settings.OPEN_SIGNUP = False
    make_user("owner")
    raw = make_invite(note="my partner")
    page, problems = open_page(VIEWPORTS[viewport])
    base = live_server.url
    page.goto(base + "/accounts/signup/")
    expect(page.get_by_role("heading", name="Sign-up is closed")).to_be_visible()
    look(page, "signup-closed", viewport)

    page.goto(base + invite_path(raw))
    expect(page.get_by_role("status")).to_contain_text("You were invited")
    look(page, "signup-invited", viewport)
    page.get_by_label("Username", exact=True).fill("partner")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert Invite.objects.get().used_by.username == "partner"
    log_out(page)

    page.goto(base + invite_path(raw))
    expect(page.get_by_role("heading", name="Sign-up is closed")).to_be_visible()
    expect(main(page)).to_contain_text("This invite link has been used")
    assert problems.messages == []
