"""Browser fixtures: headless Chromium driven by Playwright (sync API), one page per test, and
a log of every console error, uncaught exception and CSP violation the page produces."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import (Browser, BrowserContext, ConsoleMessage, Error, Page, Playwright,
                                 expect, sync_playwright)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

# Reports every CSP violation as a console error too, whatever the browser itself logs.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclass
class BrowserLog:
    """What went wrong in the page: console errors, uncaught exceptions, CSP violations."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage, prefix: str = "") -> None:
        if message.type == "error":
            self.errors.append(
                f"{prefix}console: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def unexpected(self, *allowed: str) -> list[str]:
        """Errors not matching any of the `allowed` regular expressions."""
        patterns = [re.compile(pattern) for pattern in allowed]
        return [e for e in self.errors if not any(p.search(e) for p in patterns)]

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "CSP violation" in e]

    def watch(self, page: Page, label: str = "") -> Page:
        """Logs `page`'s errors here too, prefixed with `label` (whose browser it was)."""
        prefix = f"{label}: " if label else ""
        page.on("console", lambda message: self.console(message, prefix))
        page.on("pageerror", lambda error: self.errors.append(f"{prefix}uncaught: {error}"))
        return page


@pytest.fixture(scope="session")
def playwright_driver() -> Playwright:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Browser:
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict:
    """The window size; a test overrides it with `@pytest.mark.parametrize("viewport", ...)`."""
    return DESKTOP


@pytest.fixture
def context(browser: Browser, local_stack: dict, viewport: dict) -> BrowserContext:
    context = browser.new_context(base_url=local_stack["site"], viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_CSP_LISTENER)
    yield context
    context.close()


@pytest.fixture(scope="module")
def call_browser(playwright_driver, tmp_path_factory) -> Browser:
    """Chromium with fake media for a module's calls; the camera is a 4:3 recording, the fake
    screen 16:9, so the other side can tell which one it receives."""
    from tests.support.call_browser import launch_call_browser, write_test_camera

    camera = write_test_camera(tmp_path_factory.mktemp("camera") / "camera.y4m")
    browser = launch_call_browser(playwright_driver, camera_file=camera)
    yield browser
    browser.close()


@pytest.fixture
def patient_expectations():
    """A call takes two browsers, a signalling server, a peer connection (and PayPal's sandbox)
    on one machine that may be busy: each step may take longer than a page load. A call module
    uses it for every test: `pytestmark = [..., pytest.mark.usefixtures("patient_expectations")]`."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(autouse=True)
def people_leave_with_their_test(request):
    """Closes every browser context a test opened in a shared browser (the module's call browser,
    the session's browser). A call room left open keeps its camera, its peer connection and its
    socket busy: on a two-core machine, a module's later tests then wait on earlier tests' calls."""
    shared = [request.getfixturevalue(name) for name in ("call_browser", "browser")
              if name in request.fixturenames]
    before = {id(context) for browser in shared for context in browser.contexts}
    yield
    for browser in shared:
        for context in browser.contexts:
            if id(context) not in before:
                try:
                    context.close()
                except Error:
                    pass  # closed meanwhile


@pytest.fixture
def open_context(browser: Browser, local_stack: dict, viewport: dict):
    """Opens browser contexts for more people (each its own storage, so its own session), set
    up like `context`; `open_context(timezone_id=...)` passes options through (`base_url=` for
    another stack's site). A test may close one itself (a person closing their browser); the rest
    are closed with the test (`people_leave_with_their_test`)."""

    def open_(**options) -> BrowserContext:
        more = browser.new_context(**{"base_url": local_stack["site"], "viewport": viewport, **options})
        more.set_default_timeout(TIMEOUT_MS)
        more.add_init_script(_CSP_LISTENER)
        return more

    return open_


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(context: BrowserContext, browser_log: BrowserLog) -> Page:
    page = context.new_page()
    page.on("console", browser_log.console)
    page.on("pageerror", browser_log.page_error)
    yield page
    page.close()
