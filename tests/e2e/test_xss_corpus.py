"""A corpus of classic XSS payloads, put into every user-written field of a Helper page, never
runs in a real browser: the page is served WITHOUT the site's CSP, so what is proven here is the
escaping and sanitizing, not the CSP.

Playwright runs on a worker thread the module owns: started for this module, stopped at its
teardown, and never sharing the main thread's event loop with the session-wide driver in
conftest.py (two sync drivers cannot live on one thread).
"""
from __future__ import annotations

import functools
import http.server
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from chalicelib.api.page_html import render_helper_page
from chalicelib.domain.rich_text import render_markdown
from chalicelib.domain.user_text import visible_text
from infra.site_build import build as build_site

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
PUSH = "window.__xss.push(1)"

PAYLOADS = [
    # Script tags, in every case and shape.
    "<script>alert(1)</script>",
    f"<script>{PUSH}</script>",
    f"<ScRiPt>{PUSH}</sCrIpT>",
    f"<scr<script>ipt>{PUSH}</scr</script>ipt>",
    f"<script src=data:text/javascript,{PUSH}></script>",
    "<sCrIpT/XSS SRC=//evil.example/x.js></sCrIpT>",
    f"<script\n>{PUSH}</script\n>",
    # Event handlers on media and other elements.
    "<img src=x onerror=alert(1)>",
    f'<img src=x onerror="{PUSH}">',
    f"<IMG SRC=x OnErRoR={PUSH}>",
    "<img src=x onerror=&#x77;indow.__xss.push(1)>",
    f'<img """><script>{PUSH}</script>">',
    f"<svg onload={PUSH}>",
    f"<svg><script>{PUSH}</script></svg>",
    f"<svg><animate onbegin={PUSH} attributeName=x dur=1s>",
    f"<body onload={PUSH}>",
    f"<input autofocus onfocus={PUSH}>",
    f"<details open ontoggle={PUSH}>x</details>",
    f"<marquee onstart={PUSH}>x</marquee>",
    f"<video><source onerror={PUSH}></video>",
    f'<a href="https://ok.example" onclick="{PUSH}">x</a>',
    # Frames, objects and friends.
    f'<iframe src="javascript:top.__xss.push(1)"></iframe>',
    '<iframe srcdoc="<script>top.__xss.push(1)</script>"></iframe>',
    f'<object data="javascript:{PUSH}"></object>',
    '<embed src="javascript:alert(1)">',
    '<base href="javascript:/">',
    f'<form action="javascript:{PUSH}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PUSH}">',
    f'<math><a xlink:href="javascript:{PUSH}">x</a></math>',
    # Links with script schemes, plain and encoded.
    f'<a href="javascript:{PUSH}">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss.push(1)">x</a>',
    f'<a href="jav&#x09;ascript:{PUSH}">x</a>',
    f"javascript:{PUSH}",
    f" JaVaScRiPt:{PUSH}",
    f"java\tscript:{PUSH}",
    "data:text/html;base64,PHNjcmlwdD50b3AuX194c3MucHVzaCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    # Styles.
    f'<div style="background:url(javascript:{PUSH})">x</div>',
    f'<div style="width: expression({PUSH})">x</div>',
    f"<style>@import 'javascript:{PUSH}';</style>",
    f'<link rel=stylesheet href="javascript:{PUSH}">',
    # Attribute and element breakouts.
    f'" onmouseover="{PUSH}" x="',
    f"' onmouseover='{PUSH}' x='",
    f'"><script>{PUSH}</script>',
    f"'><img src=x onerror={PUSH}>",
    f"</title><script>{PUSH}</script>",
    f"</textarea><script>{PUSH}</script>",
    f"--><script>{PUSH}</script><!--",
    f"]]><script>{PUSH}</script>",
    # Entities, escapes and unicode look-alikes.
    f"&lt;script&gt;{PUSH}&lt;/script&gt;",
    f"&#60;img src=x onerror={PUSH}&#62;",
    f"\\u003cscript\\u003e{PUSH}\\u003c/script\\u003e",
    f"\\x3cscript\\x3e{PUSH}\\x3c/script\\x3e",
    f"%3Cscript%3E{PUSH}%3C/script%3E",
    f"\uff1cscript\uff1e{PUSH}\uff1c/script\uff1e",
    f"<scr\u0130pt>{PUSH}</scr\u0130pt>",
    f"\u202e<script>{PUSH}</script>",
    # Markdown: links, autolinks, references, images and markup inside markdown.
    "[x](javascript:alert(1))",
    f"[x](javascript:{PUSH})",
    f"[x](JAVASCRIPT:{PUSH})",
    f"[x](javas&#99;ript:{PUSH})",
    f"[x](&#x6A;avascript&#x3A;{PUSH})",
    f"[x]( javascript:{PUSH} )",
    f"[x](<javascript:{PUSH}>)",
    f"<javascript:{PUSH}>",
    "[x](data:text/html;base64,PHNjcmlwdD50b3AuX194c3MucHVzaCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    f'![x](x" onerror="{PUSH})',
    f"![x](javascript:{PUSH})",
    f'[x](https://ok.example" onmouseover="{PUSH})',
    f"[x][r]\n\n[r]: javascript:{PUSH}",
    f"[<img src=x onerror={PUSH}>](https://ok.example)",
    f"**<svg onload={PUSH}>**",
    f"`<script>{PUSH}</script>`",
    "> <iframe src=javascript:alert(1)>",
    f"- <a href=javascript:{PUSH}>x</a>",
    f"<https://ok.example/\"onmouseover=\"{PUSH}>",
]

# Tags the window gets before any page script: a visible sink for every payload, and alert,
# confirm and prompt turned into that sink (also in frames, which get this script too).
INIT_SCRIPT = """
(() => {
  const sink = [];
  sink.push = function (...items) {
    for (const item of items) {
      try { window.__reportXss(String(item)); } catch (error) { /* reported below anyway */ }
    }
    return Array.prototype.push.apply(this, items);
  };
  window.__xss = sink;
  for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = (message) => { sink.push(`${name}:${message}`); return null; };
  }
})();
"""

# Fires every event an inline handler could listen to on every element, then follows every link.
FIRE_EVERYTHING = """
() => {
  const types = ["mouseover", "mouseenter", "mousemove", "mousedown", "mouseup", "click",
    "dblclick", "contextmenu", "pointerover", "pointerdown", "focus", "focusin", "blur",
    "keydown", "keyup", "input", "change", "submit", "toggle", "load", "error", "begin",
    "animationstart", "transitionend", "touchstart", "wheel", "copy", "paste", "scroll"];
  for (const element of document.querySelectorAll("body *")) {
    for (const type of types) {
      try { element.dispatchEvent(new Event(type, { bubbles: true, cancelable: true })); }
      catch (error) { /* some elements refuse some events */ }
    }
    if (typeof element.focus === "function") { element.focus(); }
  }
  for (const link of document.querySelectorAll("a, area")) { link.click(); }
}
"""

# What a reviewer would look for in the DOM after the page has settled.
INSPECT = """
() => {
  const all = Array.from(document.querySelectorAll("*"));
  const show = (element) => element.outerHTML.slice(0, 200);
  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
    "srcdoc", "poster", "background", "srcset", "ping", "codebase", "lowsrc", "dynsrc"]);
  const plain = (value) => value.replace(/[\\u0000-\\u0020\\u007f]/g, "").toLowerCase();
  const onAttributes = [];
  const badUrls = [];
  for (const element of all) {
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name)) {
        onAttributes.push(`${element.localName} ${attribute.name}="${attribute.value}"`);
      }
      if (URL_ATTRIBUTES.has(attribute.name.toLowerCase())
          && /^(javascript|vbscript|livescript|data):/.test(plain(attribute.value))) {
        badUrls.push(`${element.localName} ${attribute.name}="${attribute.value}"`);
      }
    }
  }
  for (const link of document.querySelectorAll("a[href], area[href]")) {
    if (!["http:", "https:", "mailto:"].includes(link.protocol)) {
      badUrls.push(`resolved ${link.href}`);
    }
  }
  const SCRIPTS = ["/config.js", "/js/pages/helper-page.js"];
  const LINKS = ["stylesheet", "icon", "canonical"];
  const FORBIDDEN = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "style",
    "svg", "math", "base", "form", "input", "textarea", "select", "video", "audio", "source",
    "marquee", "details", "template", "noscript", "param", "portal"]);
  // The page's own JSON-LD data block (never run; its JSON escapes "<", ">" and "&") and its own
  // review sort control: exactly one of each, in their places; anything else is unexpected.
  const blocks = document.querySelectorAll('script[type="application/ld+json"]');
  let structured = blocks.length === 1 && blocks[0].parentElement === document.head ? blocks[0] : null;
  if (structured) {
    try {
      JSON.parse(structured.textContent);
      if (/[<>&]/.test(structured.textContent)) structured = null;
    } catch { structured = null; }
  }
  const sorts = document.querySelectorAll("select");
  const sortControl = sorts.length === 1 && sorts[0].matches("section select#review-sort[data-review-sort]")
    && [...sorts[0].options].every((option) => ["newest", "highest", "lowest"].includes(option.value)) ? sorts[0] : null;
  const unexpected = all.filter((element) => {
    const tag = element.localName;
    if (tag === "script") { return !SCRIPTS.includes(element.getAttribute("src")) && element !== structured; }
    if (tag === "select") { return element !== sortControl; }
    if (tag === "img") { return !element.classList.contains("helper-avatar"); }
    if (tag === "link") { return !LINKS.includes(element.getAttribute("rel")); }
    if (tag === "meta") { return element.hasAttribute("http-equiv"); }
    return FORBIDDEN.has(tag);
  }).map(show);
  return {
    xss: Array.from(window.__xss || [], String),
    on_attributes: onAttributes,
    bad_urls: badUrls,
    unexpected_elements: unexpected,
    styled: all.filter((element) => element.hasAttribute("style")).map(show),
    frames: window.frames.length,
    name: (document.querySelector("h1") || {}).textContent,
  };
}
"""

# Everything a visitor can point at or click on the page, for real mouse moves and clicks.
POINTABLE = ("a, button, h1, .helper-headline, .rich-text, .rich-text *, .chip, "
             ".helper-links li, [data-status-for], [data-day] > *, main img")
MIDDLES = """
(selector) => Array.from(document.querySelectorAll(selector), (element) => element.getBoundingClientRect())
  .filter((box) => box.width > 0 && box.height > 0 && box.top >= 0 && box.bottom <= innerHeight)
  .map((box) => [box.x + box.width / 2, box.y + box.height / 2])
"""
VIEWPORT = {"width": 1280, "height": 6000}


class BrowserThread:
    """One Chromium, driven by Playwright's sync API on a thread of its own."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xss-browser")
        self._driver: Any = None
        self._playwright: Any = None
        self.browser: Browser | None = None

    def run(self, work: Callable[..., Any], *args: Any) -> Any:
        return self._executor.submit(work, *args).result(timeout=180)

    def start(self) -> None:
        def start() -> None:
            self._driver = sync_playwright()
            self._playwright = self._driver.__enter__()
            self.browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.run(start)

    def stop(self) -> None:
        def stop() -> None:
            try:
                if self.browser is not None:
                    self.browser.close()
            finally:
                if self._driver is not None:
                    self._driver.__exit__(None, None, None)
        try:
            self.run(stop)
        finally:
            self._executor.shutdown(wait=True)


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    """Serves the temp folder with no CSP header and no request log."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser_thread():
    thread = BrowserThread()
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder served at http://127.0.0.1:<port> with the built site's stylesheets, and no CSP."""
    root = tmp_path_factory.mktemp("xss-site")
    shutil.copytree(build_site(tmp_path_factory.mktemp("xss-build") / "site") / "css", root / "css")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(root)))
    serving = threading.Thread(target=server.serve_forever, name="xss-site", daemon=True)
    serving.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    serving.join(timeout=5)


def view_with(payload: str) -> dict:
    """A Helper page with the payload in every field a person can write."""
    return {
        "site_url": "https://interkanect.example",
        "user_id": payload,
        "username": payload,
        "display_name": payload,
        "headline": payload,
        "description": payload,
        "offer_html": render_markdown(payload),
        "qualifications_html": render_markdown(f"*Trained* in {payload}\n\n- {payload}\n\n> {payload}"),
        "languages": [payload, "en"],
        "time_zone": payload,
        "prices": {"15": 1500, "30": 0, "60": None},
        "schedule": [{"day": 0, "start": "09:00", "end": "12:00"},
                     {"day": 1, "start": "09:00", "end": payload}],
        "links": [{"label": payload, "url": payload},
                  {"label": payload, "url": f"https://ok.example/?q={payload}"},
                  {"label": "plain", "url": "https://ok.example/"}],
        "avatar_url": payload,
        "categories": [{"slug": payload, "name": payload}, {"slug": "tutoring", "name": payload}],
        "rating": {"average": 4.5, "count": 3},
        "status": "online",
    }


def probe(browser: Browser, url: str) -> dict:
    """Opens the page, points at and clicks everything, fires every event, and reports what
    ran and what the DOM holds. Requests leave nowhere: anything but the page and its
    stylesheets gets an empty 204, which also keeps link clicks on the page."""
    reported: list[str] = []
    dialogs: list[str] = []
    popups: list[str] = []

    stylesheets = urljoin(url, "/css/")

    def only_the_page(route: Route) -> None:
        requested = route.request.url
        if requested == url or requested.startswith(stylesheets):
            route.continue_()
        else:
            route.fulfill(status=204, body="")

    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.expose_function("__reportXss", lambda what: reported.append(str(what)))
        context.add_init_script(INIT_SCRIPT)
        context.route("**/*", only_the_page)
        page = context.new_page()
        context.on("page", lambda popup: popups.append(popup.url))
        page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"),
                                          dialog.dismiss()))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, url
        csp = response.headers.get("content-security-policy")
        assert page.evaluate("document.documentElement.scrollHeight") <= VIEWPORT["height"]
        point_and_click(page)
        page.evaluate(FIRE_EVERYTHING)
        page.wait_for_timeout(250)  # let error events, timers and exposed calls come in
        found = page.evaluate(INSPECT)
        found.update(reported=list(reported), dialogs=dialogs, popups=popups, csp=csp,
                     url=page.url)
        return found
    finally:
        context.close()


def point_and_click(page: Page) -> None:
    """Real mouse moves onto (hover) and clicks on the middle of everything a visitor can point
    at; the viewport is tall enough to hold the whole page, so nothing needs scrolling."""
    for x, y in page.evaluate(MIDDLES, POINTABLE):
        page.mouse.click(x, y)  # moves the pointer there first: mouseover, then the click


def publish(site: tuple[Path, str], name: str, html: str) -> str:
    root, origin = site
    (root / f"{name}.html").write_text(html, encoding="utf-8")
    return f"{origin}/{name}.html"


def test_the_corpus_is_large_and_has_no_duplicates():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_the_harness_catches_a_payload_that_does_run(browser_thread, site):
    """Without this, an empty __xss could mean a blind harness rather than a safe page."""
    url = publish(site, "control", (
        "<!doctype html><html><head><meta charset=utf-8><title>control</title></head><body>"
        "<main><h1>control</h1>"
        "<img src=missing.png onerror=\"window.__xss.push('img')\">"
        "<a href=\"javascript:window.__xss.push('link')\">link</a>"
        "<span onmouseover=\"window.__xss.push('hover')\">hover</span>"
        "<p onclick=\"alert('click')\">click</p>"
        "</main></body></html>"))
    found = browser_thread.run(probe, browser_thread.browser, url)
    assert found["csp"] is None, "the page must be served without a CSP"
    assert {"img", "link", "hover", "alert:click"} <= set(found["xss"]), found
    assert set(found["reported"]) >= {"img", "link", "hover"}
    assert found["on_attributes"] and found["bad_urls"]


@pytest.mark.parametrize("index", range(len(PAYLOADS)),
                         ids=[f"{i:02d}-{p[:40]!r}" for i, p in enumerate(PAYLOADS)])
def test_no_payload_in_any_field_runs_or_leaves_a_handler_or_script_url(browser_thread, site,
                                                                          index):
    payload = PAYLOADS[index]
    url = publish(site, f"case-{index:02d}", render_helper_page(view_with(payload)))

    found = browser_thread.run(probe, browser_thread.browser, url)

    assert found["csp"] is None, "the page must be served without a CSP to prove sanitizing"
    assert found["xss"] == [] and found["reported"] == [], found
    assert found["dialogs"] == [] and found["popups"] == [], found
    assert found["on_attributes"] == [], found["on_attributes"]
    assert found["bad_urls"] == [], found["bad_urls"]
    assert found["unexpected_elements"] == [], found["unexpected_elements"]
    assert found["styled"] == [] and found["frames"] == 0, found
    assert found["url"].split("#")[0] == url, "the page navigated away"
    assert found["name"] == visible_text(payload).strip(), \
        "the payload is shown as text, as written (less invisible characters and outer spaces)"
