"""Issue 14 in Chromium with the network switched off and on (Playwright's offline mode): Shotlee installs as a
progressive web app (manifest, icons, a service worker at the site's root), shows the last-seen dashboard and
history offline, keeps a dose and a reading logged offline on the device as "waiting to sync", sends them when the
connection is back, brings the server's warnings back to confirm, and records nothing twice when the queue is
replayed.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shotlee.accounts.services import issue_token
from shotlee.ledger.models import Entry
from tests.browser_support import PHONE, expect, screenshot
from tests.conftest import PASSWORD, Api, make_protocol, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def kinds(username: str) -> dict[str, int]:
    entries = Entry.objects.filter(user__username=username)
    return {kind: entries.filter(kind=kind).count() for kind in ("dose", "metric")}


def queue(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => JSON.parse(localStorage.getItem('shotlee-queue-' + document.body.dataset.user) || '[]')"
    )


def test_install_then_log_offline_and_sync_when_back_online(open_page, live_server):
    alice = make_user("alice")
    api = Api(issue_token(alice))
    weekly = make_protocol(api, name="Weekly semaglutide")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    dose = api.post("/api/v1/doses", {"protocol": weekly["id"], "amount": "0.25", "occurred_at": yesterday})
    assert dose.status_code == 201, dose.content
    base = live_server.url
    page, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    context = page.context

    # Installable: the manifest names the app, its start page and icons that load; the worker is served from the
    # root with its scope allowed there.
    page.goto(base + "/accounts/login/")
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(base + manifest_url)
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] == "Shotlee" and data["display"] == "standalone"
    assert page.evaluate("(u) => new URL(u[0], u[1]).pathname", [data["start_url"], base + manifest_url]) == "/"
    sizes = {}
    for icon in data["icons"]:
        got = page.request.get(page.evaluate("(u) => new URL(u[0], u[1]).href", [icon["src"], base + manifest_url]))
        assert got.ok and got.headers["content-type"] == icon["type"], icon
        sizes[icon["sizes"]] = icon["type"]
    assert {"192x192", "512x512", "any"} <= set(sizes)
    worker = page.request.get(base + "/sw.js")
    assert worker.ok and worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/"

    page.get_by_label("Username", exact=True).fill("alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your protocols")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)
    # Seen once online: the dashboard, the history and the two log forms are kept for offline use.
    for path in ("/", "/history/", f"/doses/log/?protocol={weekly['id']}", "/metrics/log/"):
        page.goto(base + path)
    before = kinds("alice")

    context.set_offline(True)
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your protocols")
    expect(page.get_by_role("main")).to_contain_text("Weekly semaglutide")
    page.goto(base + "/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("History")
    page.goto(base + "/protocols/")  # never opened on this device
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")

    # A dose and a reading logged offline wait on the device, each with a new client entry id.
    page.goto(base + f"/doses/log/?protocol={weekly['id']}")
    page_id = page.locator("input[name=client_entry_id]").input_value()
    page.get_by_label("Amount", exact=True).fill("0.5")
    page.get_by_role("button", name="Record dose").click()
    sync = page.get_by_role("region", name="Kept on this device")
    expect(sync).to_contain_text("Saved on this device")
    expect(sync).to_contain_text("Weekly semaglutide · 0.5 mg")
    expect(sync.locator("li.sync-item")).to_contain_text("Waiting to sync")
    page.goto(base + "/metrics/log/")
    page.get_by_label("Value", exact=True).fill("81.9")
    page.get_by_role("button", name="Record reading").click()
    expect(sync.locator("li.sync-item")).to_have_count(2)
    screenshot(page, "offline-waiting-to-sync-phone")
    waiting = queue(page)
    ids = [dict(item["fields"])["client_entry_id"] for item in waiting]
    assert len(set(ids)) == 2 and page_id not in ids and all(uuid.UUID(i) for i in ids)
    assert kinds("alice") == before

    # Back online: the reading is sent; the dose, a day after the last one, comes back with its warning.
    context.set_offline(False)  # the browser's "online" event starts the sending
    expect(sync).to_contain_text("1 entry sent.")
    item = sync.locator("li.sync-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Check before recording. Nothing has been recorded yet.")
    expect(item).to_contain_text("Too soon")
    screenshot(page, "offline-warning-to-confirm-phone")
    assert kinds("alice") == {"dose": before["dose"], "metric": before["metric"] + 1}
    item.get_by_role("button", name="Record anyway").click()
    expect(sync).to_contain_text("1 entry sent.")
    expect(sync.locator("li.sync-item")).to_have_count(0)
    assert kinds("alice") == {"dose": before["dose"] + 1, "metric": before["metric"] + 1}
    dose = Entry.objects.filter(user__username="alice", kind="dose").order_by("-seq").first()
    assert dose is not None and str(dose.uid) == ids[0]
    assert [w["code"] for w in dose.data["acknowledged"]] == ["too_soon"]

    # The same queue replayed (another tab, a retry after a lost answer): nothing is recorded twice.
    page.evaluate(
        "(items) => localStorage.setItem('shotlee-queue-' + document.body.dataset.user, items)", json.dumps(waiting)
    )
    page.reload()
    expect(sync).to_contain_text("entries sent.")
    expect(sync.locator("li.sync-item")).to_have_count(0)
    assert kinds("alice") == {"dose": before["dose"] + 1, "metric": before["metric"] + 1}
    assert queue(page) == []

    # Log-out forgets the pages kept for offline use.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    page.wait_for_function("caches.has('shotlee-pages').then(kept => !kept)")
    assert problems.messages == []
