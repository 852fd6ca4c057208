"""Plumbing for the browser tests: launch Debian's Chromium through Playwright, and the steps a person takes.

Playwright's browsers are never downloaded: the tests drive /usr/bin/chromium. When it is missing or will
not start, the browser tests skip with the reason printed, unless SHOTLEE_REQUIRE_BROWSER is set (CI),
in which case they fail.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture reports it (skip, or fail under SHOTLEE_REQUIRE_BROWSER)
    expect = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# A bound on one step: a busy CI machine (both engines run at once) needs more than 10 s at times.
STEP_TIMEOUT_MS = 20_000

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def browser_unavailable(reason: str) -> None:
    """Skip with the reason printed, or fail when CI requires a browser."""
    message = f"Browser tests cannot run: {reason}"
    if require("SHOTLEE_REQUIRE_BROWSER"):
        pytest.fail(message + " (SHOTLEE_REQUIRE_BROWSER is set, so this is a failure)", pytrace=False)
    print(message)
    pytest.skip(message)


@contextmanager
def allow_sync_orm_under_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls from the test.

    The Makefile sets DJANGO_ALLOW_ASYNC_UNSAFE; this sets it for the browser module only when a bare
    pytest run did not, and restores the environment afterwards.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@contextmanager
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole module, or a skip (a failure under SHOTLEE_REQUIRE_BROWSER)."""
    if not os.path.exists(CHROMIUM):
        browser_unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        browser_unavailable(f"Playwright for Python is not importable ({exc}); pip install playwright")
    manager = sync_playwright()
    try:
        playwright = manager.start()
    except Exception as exc:
        browser_unavailable(f"Playwright did not start: {exc}")
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=30_000
            )
        except PlaywrightError as exc:
            browser_unavailable(f"Playwright could not launch {CHROMIUM}: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.__exit__(None, None, None)


class PageProblems:
    """Console errors (a CSP violation shows up here) and uncaught script errors seen by a page.

    HTTP error statuses are left out: the forms answer 422 and 409 on purpose, and Chromium logs each
    one (and the absent /favicon.ico) as "Failed to load resource".
    """

    def __init__(self, page: Any):
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"page error: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource: the server responded"):
            self.messages.append(f"console {msg.type}: {msg.text}")


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when nothing spills sideways). Against
    documentElement.clientWidth, not window.innerWidth: on a phone (is_mobile) Chromium widens the layout viewport,
    and innerWidth with it, to fit what spills, so scrollWidth - innerWidth stays 0 however far a page spills."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def overflowing_elements(page: Any) -> list[str]:
    """Elements whose right edge passes the viewport: named in a failure message to point at the culprit."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 8)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                       (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '') +
                       ' right=' + Math.round(el.getBoundingClientRect().right))"""
    )


def assert_fits_viewport(page: Any, where: str) -> None:
    spill = horizontal_overflow(page)
    assert spill <= 0, f"{where}: page is {spill}px wider than the viewport; culprits: {overflowing_elements(page)}"


# Steps a person takes. Each returns nothing and leaves the page where the person would be.


def sign_up(page: Any, base_url: str, username: str, password: str, again: str | None = None) -> None:
    page.goto(base_url + "/accounts/signup/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again", exact=True).fill(password if again is None else again)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()


def fill_protocol(page: Any, values: dict[str, str]) -> None:
    """Fill the protocol form by its visible labels; selects get select_option, the rest fill."""
    labels = {
        "compound": "Compound",
        "dose": "Dose",
        "unit": "Unit",
        "route": "Route",
        "every": "Every",
        "every_unit": "Period",
        "min_interval": "Minimum gap",
        "min_interval_unit": "Minimum gap in",
        "max_single_dose": "Maximum single dose",
        "sites": "Sites, separated by commas (optional)",
    }
    for field, value in values.items():
        control = page.get_by_label(labels[field], exact=True)
        if field in ("unit", "route", "every_unit", "min_interval_unit"):
            control.select_option(value)
        else:
            control.fill(value)


def nav_to(page: Any, name: str) -> None:
    """Follow a link of the main navigation; on a phone, the links past the tab bar are behind "More"."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    more = nav.get_by_role("button", name="More")
    if not link.is_visible() and more.is_visible():
        more.click()
    link.click()


def main(page: Any) -> Any:
    """The page's <main>: the nav has its own "Log dose" link, so page-level buttons are looked up here."""
    return page.get_by_role("main")


def entry(page: Any, seq: int) -> Any:
    return page.locator(f"#entry-{seq}")


# WCAG 2.x contrast of each visible run of text against the first opaque background behind it.
# Large text (24 px, or 18.66 px bold) needs 3:1, the rest 4.5:1. Disabled controls are exempt.
_CONTRAST_JS = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (let n = el; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor);
                                                                          if (c.a >= 0.99) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (!own || el.disabled || el.closest('[disabled], .skip')) continue;
    const rect = el.getBoundingClientRect(); const style = getComputedStyle(el);
    if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden' || style.opacity === '0') continue;
    const fg = parse(style.color), bg = background(el);
    const mix = {r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a)};
    const [hi, lo] = [lum(mix), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) found.push(`${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\\s+/g, '.')} "${own.slice(0, 30)}" `
                                   + `${style.color} on ${getComputedStyle(el).backgroundColor === 'rgba(0, 0, 0, 0)' ? 'parent ' : ''}`
                                   + `rgb(${bg.r}, ${bg.g}, ${bg.b}) = ${ratio.toFixed(2)}:1 (needs ${needed}:1)`);
  }
  return found;
}"""


def low_contrast_text(page: Any) -> list[str]:
    """Each piece of visible text on the page that fails WCAG AA contrast, described for a failure message."""
    return page.evaluate(_CONTRAST_JS)


# axe-core, vendored for the tests only (tests/vendor/README.md), run with the WCAG 2.2 AA rule set.
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload: false});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200))}));
}"""


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;void 0"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now (the script is evaluated through the DevTools
    protocol, so the page's Content-Security-Policy stays on)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(_AXE_RUN, AXE_TAGS)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]
