"""Reminders in a real Chromium: the settings page's calendar link (on the public address, a webcal link, a copy
button that really copies), the reminder settings per protocol, and the app's service worker showing the
notification the server's message asks for (a push delivered through the DevTools protocol, as a push service
would deliver it). Desktop and phone; screenshots of the settings page land in test-artifacts/."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import User

from shotlee.accounts.services import issue_token
from shotlee.reminders.models import ReminderSetting
from tests.browser_support import DESKTOP, PHONE, assert_fits_viewport, expect, screenshot, sign_up
from tests.conftest import Api, make_protocol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "scalp lantern meadow forty-two"
SITE = "https://shotlee.example.org"


def reminders_and_calendar(page: Any, base: str, username: str, label: str, phone: bool) -> None:
    sign_up(page, base, username, PASSWORD)
    user = User.objects.get(username=username)
    protocol = make_protocol(Api(issue_token(user)), name="Semaglutide weekly")
    page.goto(base + "/accounts/settings/")
    section = page.locator("form.reminders")
    expect(page.get_by_role("heading", name="Email and phone reminders")).to_be_visible()
    expect(section.get_by_label("By email")).to_be_disabled()  # no address yet, and the page says where to add one
    page.get_by_label("Email for password resets (optional)").fill(f"{username}@example.org")
    page.get_by_role("button", name="Save email").click()
    group = page.get_by_role("group", name="Semaglutide weekly")
    group.get_by_label("By email").check()
    group.get_by_label("Remind me at (your time; empty: when the dose is due)").fill("08:30")
    page.get_by_role("button", name="Save reminders").click()
    expect(page).to_have_url(base + "/accounts/settings/#reminders")
    expect(group.get_by_label("By email")).to_be_checked()
    saved = ReminderSetting.objects.get(user=user, protocol_uid=protocol["id"])
    assert (saved.email, saved.at, saved.overdue) == (True, time(8, 30), True)

    page.get_by_role("button", name="Create a calendar link").click()
    link = page.locator("#calendar-url")
    url = link.input_value()
    assert url.startswith(SITE + "/calendar/") and url.endswith(".ics"), url
    subscribe = page.get_by_role("link", name="Subscribe in your calendar app")
    expect(subscribe).to_have_attribute("href", url.replace("https://", "webcal://"))
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator('[data-copied-for="calendar-url"]')).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    if phone:
        assert_fits_viewport(page, f"{label}: settings")
    screenshot(page, f"settings-reminders-{label}")


def push_handler_shows_the_notification(page: Any, base: str) -> None:
    """The app's service worker (/sw.js) loads static/js/sw-push.js: a push delivered to it shows the notification."""
    page.goto(base + "/accounts/settings/")
    expect(
        page.get_by_role("group", name="Semaglutide weekly").get_by_label("As a notification on my devices")
    ).to_be_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # app.js registers the worker on every page
    page.reload()  # push.js looks for the worker when the page loads
    expect(page.get_by_role("button", name="Allow notifications on this device")).to_be_visible()
    expect(page.get_by_role("button", name="Stop notifications on this device")).to_be_hidden()
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(200)
    found = [r for r in registrations if r["scopeURL"] == base + "/" and not r.get("isDeleted")]
    assert found, registrations
    found = found[-1:]  # the newest state of the site's registration
    message = {"title": "Dose due: Sema 0.25 mg", "body": "Sema is due now.", "url": "/doses/log/", "tag": "x-due"}
    shown = None
    # Delivered again when nothing shows within 5 s (a worker still starting may miss it; a push service retries too);
    # the same tag: a second delivery replaces the notification, never adds one.
    for _attempt in range(4):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": found[0]["registrationId"], "data": json.dumps(message)},
        )
        for _ in range(50):
            shown = page.evaluate(
                "navigator.serviceWorker.getRegistration('/').then(r => r.getNotifications())"
                ".then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag})))"
            )
            if shown:
                break
            page.wait_for_timeout(100)
        if shown:
            break
    assert shown == [{"title": message["title"], "body": message["body"], "tag": "x-due"}]


@pytest.mark.parametrize(
    ("viewport", "label", "options"),
    [(DESKTOP, "desktop", {}), (PHONE, "phone", {"is_mobile": True, "has_touch": True})],
    ids=["desktop-1280", "phone-390"],
)
def test_calendar_link_and_reminder_settings_on_the_settings_page(
    open_page, live_server, settings, viewport, label, options
):
    settings.SITE_URL = SITE
    settings.VAPID_PUBLIC_KEY = (
        "BNbxGYNMhEIi9zrneh7mqV4EUanjLUK3m-mYZBc62frMKrEoMk88r3Lk596T0ck9xlT-mrmAc4jvWVvK0nGhNsA"
    )
    settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT = "not used here", "mailto:ops@example.org"
    page, problems = open_page(viewport, timezone_id="Europe/Berlin", **options)
    page.context.grant_permissions(["clipboard-read", "clipboard-write", "notifications"], origin=live_server.url)
    reminders_and_calendar(page, live_server.url, f"remind-{label}", label, phone=label == "phone")
    if label == "desktop":
        push_handler_shows_the_notification(page, live_server.url)
    assert problems.messages == []
