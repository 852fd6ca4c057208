"""Shared fixtures: alice, bob and charlie, an API client with a bearer token, and test-only plumbing."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from shotlee.accounts.services import issue_token, register_user

PASSWORD = "correct horse battery staple"


def engine() -> str:
    return connection.vendor


@pytest.fixture(scope="session", autouse=True)
def _flush_past_triggers():
    """Transactional tests end with `flush`, which the append-only triggers rightly refuse.

    Test databases only: drop the triggers around the flush and put them back.
    """
    from django.core.management.commands import flush

    from shotlee.ledger import triggers

    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> Any:
        from django.db import connections

        conn = connections[options.get("database", "default")]
        triggers.uninstall(conn)
        try:
            return original(self, **options)
        finally:
            triggers.install(conn)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(scope="session", autouse=True)
def _guide_files_parsed_once():
    """About 150 tests call load_guides() (a fixture of the guide, health and browser modules); parsing, validating
    and rendering the eleven guide files cost about 0.45 s each time, some 35 s of each engine's run. The files do
    not change during a run, so each distinct file text is read and validated, and each distinct guide rendered,
    once; load_guides still writes every row, in its transaction, each time it is called.

    The key is the file's whole text (and its path, which validation names in its messages), so a file a test
    writes or changes is read afresh; a file that fails is never remembered and fails again; callers get their own
    copy. Tests of read_guide itself import the function before this runs and call the real one.
    """
    import copy

    from shotlee.guides import loader

    read_guide, render_guide = loader.read_guide, loader.render_guide
    read: dict[tuple[str, str], dict[str, Any]] = {}
    rendered: dict[str, dict[str, Any]] = {}

    def read_once(path: Any) -> dict[str, Any]:
        key = (str(path), path.read_text(encoding="utf-8"))
        if key not in read:
            read[key] = read_guide(path)
        return copy.deepcopy(read[key])

    def render_once(data: dict[str, Any]) -> dict[str, Any]:
        key = loader.canonical_text(data)
        if key not in rendered:
            rendered[key] = render_guide(data)
        return copy.deepcopy(rendered[key])

    loader.read_guide, loader.render_guide = read_once, render_once
    yield
    loader.read_guide, loader.render_guide = read_guide, render_guide


class Api:
    """A real HTTP-shaped client for the JSON API, authenticated with a bearer token."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", headers=self._headers(headers))

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.client.patch(
            path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers)
        )


def make_user(username: str, timezone: str = "UTC") -> Any:
    return register_user(username, PASSWORD, timezone)


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def alice_api(alice) -> Api:
    return Api(issue_token(alice))


@pytest.fixture
def bob_api(bob) -> Api:
    return Api(issue_token(bob))


WEEKLY = {
    "compound": "semaglutide",
    "dose": "0.25",
    "unit": "mg",
    "route": "subcutaneous",
    "interval_hours": 168,
    "min_interval_hours": 120,
    "max_single_dose": "2.4",
    "sites": ["abdomen left", "abdomen right", "thigh left", "thigh right"],
    "starts_on": "2026-01-01",
}


def make_protocol(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/protocols", {**WEEKLY, **overrides})
    assert response.status_code == 201, response.content
    return response.json()


def require(flag: str) -> bool:
    """CI sets SHOTLEE_REQUIRE_* so that a missing browser or database fails instead of skipping."""
    return os.environ.get(flag, "") not in ("", "0")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    """Argon2 costs about a second per user under load; tests that check hashing ask for it with @pytest.mark.argon2."""
    if request.node.get_closest_marker("argon2") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _open_doors(settings):
    """Most tests sign people up and write fast; the tests of the sign-up policy and the rate limits close these
    again (OPEN_SIGNUP is off by default when DEBUG=0, as the tests run)."""
    settings.OPEN_SIGNUP = True
    settings.API_WRITES_PER_MINUTE = 0
    settings.SIGNUPS_PER_HOUR = 0


class _SharedChromium:
    """One Chromium for each run of consecutive test modules that use the browser (test_browser*.py run one after
    another): starting Playwright and Chromium costs about 1 s, and there are 17 such modules. It is closed before
    the first test of a module that uses no browser, so Playwright's event loop is only ever there while browser
    modules run, as when each module had its own. Each test still gets fresh contexts (open_page)."""

    def __init__(self) -> None:
        self.modules: set[Any] = set()  # the modules with at least one test that uses the browser
        self.stack: ExitStack | None = None
        self.launched: Any = None

    def get(self) -> Any:
        if self.stack is None:
            from tests.browser_support import allow_sync_orm_under_playwright, chromium

            stack = ExitStack()
            try:
                stack.enter_context(allow_sync_orm_under_playwright())
                self.launched = stack.enter_context(chromium())
            except BaseException:
                stack.close()
                raise
            self.stack = stack
        return self.launched

    def close(self) -> None:
        stack, self.stack, self.launched = self.stack, None, None
        if stack is not None:
            stack.close()


_chromium = _SharedChromium()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    _chromium.modules = {item.path for item in items if "browser" in getattr(item, "fixturenames", ())}


def pytest_runtest_setup(item: Any) -> None:
    if item.path not in _chromium.modules:
        _chromium.close()


def pytest_sessionfinish() -> None:
    _chromium.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (skips or fails as tests.browser_support says), shared by consecutive
    browser modules (_SharedChromium)."""
    return _chromium.get()


@pytest.fixture
def open_page(browser, live_server):
    """Opens pages in fresh browser contexts (no shared cookies), closed after the test."""
    from tests.browser_support import STEP_TIMEOUT_MS, PageProblems

    contexts: list[Any] = []

    def opener(viewport: dict[str, int], timezone_id: str = "UTC", **options: Any) -> tuple[Any, Any]:
        context = browser.new_context(viewport=viewport, timezone_id=timezone_id, locale="en-GB", **options)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        return page, PageProblems(page)

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog):
    """T45 over the whole suite: the shared password and any "CANARY" marker a test puts in a private field never
    reach a log line (tests/test_logs.py does the same at DEBUG level with a canary in every kind of field)."""
    yield
    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        assert PASSWORD not in text and "CANARY" not in text, f"a secret or canary was logged: {record.name}"
