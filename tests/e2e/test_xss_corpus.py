"""A corpus of classic XSS payloads, put into every user-written field of a Helper page (and of
the store's pages, below), never runs in a real browser: the page is served WITHOUT the site's
CSP, so what is proven here is the escaping and sanitizing, not the CSP.

Playwright runs on a worker thread the module owns: started for this module, stopped at its
teardown, and never sharing the main thread's event loop with the session-wide driver in
conftest.py (two sync drivers cannot live on one thread).
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
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
  // The Helper page's own Follow choice (js/follow.js): one form of three radios, in its place.
  const OWN_CONTROLS = ".follow[data-follow] > form.follow-choice[data-follow-choice], "
    + "form.follow-choice > fieldset > label > input[type=radio][name=mode]"
    + ":is([value=each], [value=digest], [value=none])";
  const ownForms = document.querySelectorAll("form.follow-choice");
  const unexpected = all.filter((element) => {
    const tag = element.localName;
    if (ownForms.length === 1 && element.matches(OWN_CONTROLS)) { return false; }
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
        return self.submit(work, *args).result(timeout=180)

    def submit(self, work: Callable[..., Any], *args: Any) -> Future:
        return self._executor.submit(work, *args)

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


POOL = 3  # browsers probing one payload's pages at once: the probes wait on Chromium more than on a core


@pytest.fixture(scope="module")
def browser_pool(browser_thread):
    """`browser_thread` and two more, each a Chromium of its own on a thread of its own."""
    more = [BrowserThread() for _ in range(POOL - 1)]
    try:
        for thread in more:
            thread.start()
        yield [browser_thread, *more]
    finally:
        for thread in more:
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


def probe(browser: Browser, url: str, inspect: str = INSPECT, pointable: str = POINTABLE) -> dict:
    """Opens the page, points at and clicks everything (`pointable`), fires every event, and
    reports what ran and what the DOM holds (`inspect`, which knows the page's own elements).
    Requests leave nowhere: anything but the page and its stylesheets gets an empty 204, which
    also keeps link clicks on the page."""
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
        # A page that keeps its footer below the first screen (main.fills-screen: no layout shift
        # as content arrives) would put it below this tall window too: here every element must be
        # on screen to be pointed at, so that min-height is dropped.
        page.evaluate("document.querySelectorAll('main.fills-screen').forEach((m) => m.classList.remove('fills-screen'))")
        assert page.evaluate("document.documentElement.scrollHeight") <= VIEWPORT["height"]
        point_and_click(page, pointable)
        page.evaluate(FIRE_EVERYTHING)
        page.wait_for_timeout(250)  # let error events, timers and exposed calls come in
        found = page.evaluate(inspect)
        found.update(reported=list(reported), dialogs=dialogs, popups=popups, csp=csp,
                     url=page.url)
        return found
    finally:
        context.close()


def point_and_click(page: Page, pointable: str = POINTABLE) -> None:
    """Real mouse moves onto (hover) and clicks on the middle of everything a visitor can point
    at; the viewport is tall enough to hold the whole page, so nothing needs scrolling."""
    for x, y in page.evaluate(MIDDLES, pointable):
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


def problems_of(found: dict, url: str, heading: str, *, exact: bool = False) -> list[str]:
    """What a probe of a page with a payload found wrong (nothing, for a safe page)."""
    wrong = []
    if found["csp"] is not None:
        wrong.append("the page must be served without a CSP to prove sanitizing")
    for name in ("xss", "reported", "dialogs", "popups", "on_attributes", "bad_urls", "unexpected_elements",
                 "styled"):
        if found[name]:
            wrong.append(f"{name}: {found[name]}")
    if found["frames"]:
        wrong.append(f"frames: {found['frames']}")
    if found["url"].split("#")[0] != url:
        wrong.append(f"the page navigated away, to {found['url']}")
    shown = found["name"] if exact else (found["name"] or "").strip()
    if shown != heading:
        wrong.append(f"the payload is not shown as text, as written: {shown!r} for {heading!r}")
    return wrong


def helper_page_with(payload: str) -> tuple[str, str]:
    """The Helper page with the payload in every field a person can write, and its `h1`'s text
    (as written, less invisible characters and outer spaces)."""
    return render_helper_page(view_with(payload)), visible_text(payload).strip()


# ---- The seller's store pages: drawn in the browser from the API's answers -------------------
#
# My Store's list and editor and its Orders page are static pages whose module draws what the
# API answers. Here the answers carry the payloads in every field a seller or a buyer wrote
# (titles, descriptions, variant names and SKUs, file names, categories, slugs, addresses,
# tracking), many payloads per page load; the whole built site is served without its CSP, a
# signed-in session is put in the browser, and the API is answered by the test. Besides the
# checks above, the page's elements must be the same, tag for tag, as with plain text in every
# field: text never becomes markup.

FAKE_CONFIG = 'window.IK_CONFIG = {"api": "/api", "websocket": "", "local": true};\n'
SELLER_ID = "seller-under-test"
# A signed-in session whose access token names the seller (only the browser reads it here).
SESSION_SCRIPT = """
(() => {
  const claims = btoa(JSON.stringify({ sub: "%s" })).replace(/=+$/, "");
  localStorage.setItem("interkanect.session", JSON.stringify({
    access_token: `e30.${claims}.c2ln`, refresh_token: "r", expires_at: Date.now() + 3600000 }));
})();
""" % SELLER_ID
SELLER_POINTABLE = "main a, main button, main label, main h2, main h3, main li, main td, main address"
SELLER_VIEWPORT = {"width": 1280, "height": 9000}
FIRE_IN_MAIN = FIRE_EVERYTHING.replace('document.querySelectorAll("body *")', 'document.querySelectorAll("main *")')
assert FIRE_IN_MAIN != FIRE_EVERYTHING
TAG_SHAPE = "() => Array.from(document.querySelectorAll('body *'), (element) => element.localName)"
SELLER_INSPECT = INSPECT.replace(
    'const SCRIPTS = ["/config.js", "/js/pages/helper-page.js"];',
    'const SCRIPTS = ["/config.js", window.__pageModule];',
).replace(
    "const unexpected = all.filter((element) => {",
    "const unexpected = Array.from(document.querySelectorAll('main *, head *, body > script')).filter((element) => {",
).replace(
    'if (tag === "select") { return element !== sortControl; }\n'
    '    if (tag === "img") { return !element.classList.contains("helper-avatar"); }',
    'if (["form", "input", "textarea", "select", "details", "img"].includes(tag)) { return false; }',
)
assert "__pageModule" in SELLER_INSPECT and "main *, head *" in SELLER_INSPECT and '"img"].includes' in SELLER_INSPECT
CHUNK = 20  # payloads per page load: a variant row, a product or an order each


def chunks(items: list[str]) -> list[list[str]]:
    return [items[start:start + CHUNK] for start in range(0, len(items), CHUNK)]


def plain(chunk: list[str]) -> list[str]:
    return [f"plain text {index}" for index in range(len(chunk))]


def product_with(index: int, text: str) -> dict:
    return {
        "seller_id": SELLER_ID, "slug": text, "title": text, "description": text, "description_html": "",
        "summary": text, "kind": "physical" if index % 2 else "digital",
        "status": ("draft", "active", "archived")[index % 3], "category": text,
        "images": [f"/media/{text}", text], "image_keys": [f"media/{text}", text], "price_from_cents": 999,
        "sold_out": False, "created_at": 1767225600, "updated_at": 1767225600,
        "variants": [{"variant_id": "va", "name": text, "sku": text, "price_cents": 1250, "stock": 3},
                     {"variant_id": "vb", "name": f"{text} 2", "sku": text, "price_cents": 999, "stock": None}],
        "files": [{"file_id": "f1", "name": text, "content_type": text, "size": 2048}],
    }


def editor_product(chunk: list[str], kind: str) -> dict:
    return {
        **product_with(0, chunk[0]), "kind": kind, "status": "active", "description": "\n\n".join(chunk),
        "category": chunk[-1],
        "images": [f"/media/{text}" if index % 2 else text for index, text in enumerate(chunk[:8])],
        "image_keys": chunk[:8],
        "variants": [{"variant_id": f"v{index}", "name": text, "sku": text, "price_cents": 100 + index,
                      "stock": index if index % 2 else None} for index, text in enumerate(chunk)],
        "files": [{"file_id": f"f{index}", "name": text, "content_type": text, "size": 1000 + index}
                  for index, text in enumerate(chunk[:10])],
    }


def order_with(index: int, text: str) -> dict:
    shipped = index % 2 == 1
    return {
        "order_id": f"{index}-{text}", "seller_id": SELLER_ID, "buyer_id": text, "state": "shipped" if shipped else "paid",
        "lines": [{"slug": text, "variant_id": "va", "title": text, "variant_name": text, "sku": text,
                   "kind": "physical", "quantity": 2, "unit_cents": 500, "line_cents": 1000}],
        "items_cents": 1000, "shipping_cents": 500, "total_cents": 1500, "currency": "USD", "refunded_cents": 0,
        "payment_id": f"order-{index}", "created_at": 1767225600, "paid_at": 1767225600,
        "shipped_at": 1767229200 if shipped else None, "delivered_at": None, "ships": True, "downloads": {},
        "ship_to": {"full_name": text, "address_line_1": text, "address_line_2": text, "admin_area_2": text,
                    "admin_area_1": text, "postal_code": text, "country_code": text},
        "shipment": {"carrier": "OTHER", "carrier_name": text, "tracking_number": text} if shipped else None,
    }


BOOKING_START = "2030-01-07T09:00:00Z"


def booking_with(index: int, text: str, note: str, role: str) -> dict:
    """A booking as `GET /bookings/{id}` and `GET /me/bookings` answer it, the people's names
    and the customer's note written by people holding `text` and `note`."""
    return {
        "booking_id": f"b{index}", "state": "confirmed", "version": 1, "role": role,
        "start": BOOKING_START, "end": "2030-01-07T09:15:00Z", "length": 15,
        "local": "2030-01-07T04:00", "zone": "America/New_York", "helper_zone": "Europe/Paris",
        "customer_zone": "America/New_York", "price_cents": 1500, "currency": "USD", "fee_cents": 750,
        "note": note, "payment_id": None, "refund_cents": 0, "kept_cents": 0,
        "actions": ["join", "cancel", "reschedule"] if role == "customer" else ["join", "cancel", "no_show"],
        "helper": {"username": text, "display_name": text},
        "customer": {"username": text, "display_name": text},
    }


def seller_answers(chunk: list[str], kind: str) -> dict[str, Any]:
    """`METHOD /path` (without /api) → the JSON the API answers, every field written by people
    holding one of `chunk` (the product in the editor of `kind`)."""
    return {
        "GET /me": {"user_id": SELLER_ID, "username": "seller", "display_name": "Seller", "email": "s@example.com",
                    "is_helper": True, "roles": []},
        "GET /me/products": {"products": [product_with(i, text) for i, text in enumerate(chunk)], "next_cursor": None},
        "GET /me/products/fuzz": {"product": editor_product(chunk, kind)},
        "GET /me/store/shipping": {"shipping": {"flat_cents": 500, "free_from_cents": 5000, "countries": chunk}},
        "GET /me/page": {"user_id": SELLER_ID, "username": chunk[0], "categories": chunk},
        "GET /categories": {"categories": [{"slug": text, "name": text, "parent": None} for text in chunk]},
        "GET /me/store/orders": {"orders": [order_with(i, text) for i, text in enumerate(chunk)], "next_cursor": None},
        # Appointments and one booking: the customer's view of it for a "digital" round, the
        # Helper's for a "physical" one (their Join is a note naming the customer).
        "GET /me/bookings": {"bookings": [booking_with(i, text, text, "customer" if i % 2 else "helper")
                                          for i, text in enumerate(chunk)], "next_cursor": None},
        "GET /me/waiting": {"count": len(chunk)},
        "GET /bookings/fuzz": {"booking": booking_with(0, chunk[0], "\n".join(chunk),
                                                       "customer" if kind == "digital" else "helper")},
        # Notifications: titles and texts name people (a reviewer, a customer); the kind, category
        # and the link's query come from the server but are fuzzed too.
        "GET /me/notifications": {"notifications": [notice_with(i, text) for i, text in enumerate(chunk)],
                                  "unread": len(chunk), "next": None},
        # Ops' moderation queue: titles, excerpts, reporters' notes and owners' names are people's.
        "GET /ops/moderation": {"items": [case_with(i, text) for i, text in enumerate(chunk)], "next_cursor": None},
    }


def case_with(index: int, text: str) -> dict:
    kind = ("review", "post", "product", "event")[index % 4]
    return {"kind": kind, "id": f"c{index}", "subject": f"{kind}:c{index}", "state": "open", "count": 2, "total": 2,
            "opened_at": 1767225600, "last_at": 1767225700,
            "reasons": [{"reason": "spam", "label": text, "count": 2}],
            "notes": [{"reason": "spam", "label": "Spam", "note": text, "at": 1767225650}],
            "item": {"title": text, "url": f"/h/owner/store/c{index}", "excerpt": text, "shown": True},
            "owner": {"user_id": f"u{index}", "username": text, "display_name": text},
            "decision": {"state": None, "by": "ops", "at": 1767225000, "note": text} if index % 2 else None}


def notice_with(index: int, text: str) -> dict:
    return {"id": f"n{index}", "kind": text, "category": text if index % 2 else "reviews", "title": text,
            "body": text, "url": f"/booking.html?id={text}", "at": 1767225600,
            "read": bool(index % 2)}


SELLER_PAGES = {  # name: (path, module, a selector present once the answers are drawn, what shows as text)
    "my-store list": ("/my-store.html?fuzz=1", "/js/pages/my-store.js", "[data-product-row], .product-row",
                      ".product-row-title"),
    "my-store editor": ("/my-store.html?product=fuzz", "/js/pages/my-store.js", "[data-variant-row]",
                        ".file-name"),
    "my-orders": ("/my-orders.html?fuzz=1", "/js/pages/my-orders.js", "[data-testid='store-order']",
                  "[data-tracking]"),
    "appointments": ("/appointments.html", "/js/pages/appointments.js", "[data-testid='appointment']",
                     ".appointment-link"),
    "booking": ("/booking.html?id=fuzz", "/js/pages/booking.js", "[data-booking]:not([hidden])",
                "[data-testid='booking-note']"),
    "notifications": ("/notifications.html", "/js/pages/notifications.js", "[data-inbox-item]",
                      ".inbox-title, .inbox-text"),
    "ops moderation": ("/ops-reviews.html", "/js/pages/ops-reviews.js", "[data-testid='ops-case']",
                       "[data-testid='ops-item-link'], [data-testid='ops-excerpt'], .ops-report .money-quote"),
}
# What a page writes around a person's text in its `shown` elements: taken off before comparing.
SHOWN_AROUND = {"appointments": re.compile(r"^15 minutes with "), "booking": re.compile(r"^$")}


@pytest.fixture(scope="module")
def whole_site(tmp_path_factory):
    """The whole built site at http://127.0.0.1:<port>, with no CSP."""
    root = build_site(tmp_path_factory.mktemp("xss-whole") / "site")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(root)))
    serving = threading.Thread(target=server.serve_forever, name="xss-whole-site", daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    serving.join(timeout=5)


def seller_probe(browser: Browser, origin: str, name: str, answers: dict[str, Any]) -> dict:
    """Opens one of the seller's pages with `answers` from the API: its elements and texts once
    drawn, then everything pointed at, clicked and fired, and what ran and what the DOM holds."""
    import json
    from urllib.parse import urlsplit

    path, module, ready, texts = SELLER_PAGES[name]
    url = origin + path
    reported: list[str] = []
    dialogs: list[str] = []
    popups: list[str] = []

    def answer(route: Route) -> None:
        request = route.request
        where = urlsplit(request.url)
        if request.url == url or where.path.startswith(("/js/", "/css/", "/img/", "/vendor/")):
            route.continue_()
        elif where.path == "/config.js":
            route.fulfill(status=200, content_type="text/javascript", body=FAKE_CONFIG)
        elif where.path.startswith("/api/"):
            found = answers.get(f"{request.method} {where.path[len('/api'):]}")
            route.fulfill(status=200 if found is not None else 404, content_type="application/json",
                          body=json.dumps(found if found is not None else
                                          {"error": {"code": "not_found", "message": "Not here."}}))
        else:
            route.fulfill(status=204, body="")

    context = browser.new_context(viewport=SELLER_VIEWPORT)
    try:
        context.expose_function("__reportXss", lambda what: reported.append(str(what)))
        context.add_init_script(INIT_SCRIPT)
        context.add_init_script(SESSION_SCRIPT)
        context.add_init_script(f"window.__pageModule = {json.dumps(module)};")
        context.route("**/*", answer)
        page = context.new_page()
        context.on("page", lambda popup: popups.append(popup.url))
        page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"), dialog.dismiss()))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, url
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_function("() => !document.querySelector('[role=status][data-store-status], "
                               "[data-orders-status], [data-appointments-status], [data-booking-status]')?.textContent")
        shape = page.evaluate(TAG_SHAPE)
        shown = page.evaluate("(selector) => Array.from(document.querySelectorAll(selector), (e) => e.textContent)",
                              texts)
        values = page.evaluate("() => Array.from(document.querySelectorAll('[data-variant-row] "
                               "[data-field=name]'), (input) => input.value)")
        for x, y in page.evaluate(MIDDLES, SELLER_POINTABLE):
            page.mouse.click(x, y)
        page.evaluate(FIRE_IN_MAIN)
        page.wait_for_timeout(250)
        found = page.evaluate(SELLER_INSPECT)
        found.update(reported=list(reported), popups=popups, url=page.url, shape=shape, shown=shown,
                     values=values, dialogs=[d for d in dialogs if not d.startswith("beforeunload")])
        return found
    finally:
        context.close()


@pytest.mark.parametrize("name", sorted(SELLER_PAGES))
def test_no_payload_runs_or_becomes_markup_on_the_sellers_store_pages(browser_thread, whole_site, name):
    baselines: dict[tuple[int, str], dict] = {}
    for number, chunk in enumerate(chunks(PAYLOADS)):
        kind = ("digital", "physical")[number % 2]
        if (len(chunk), kind) not in baselines:
            baselines[len(chunk), kind] = browser_thread.run(seller_probe, browser_thread.browser, whole_site, name,
                                                             seller_answers(plain(chunk), kind))
        baseline = baselines[len(chunk), kind]
        found = browser_thread.run(seller_probe, browser_thread.browser, whole_site, name,
                                   seller_answers(chunk, kind))

        assert found["xss"] == [] and found["reported"] == [], found["xss"]
        assert found["dialogs"] == [] and found["popups"] == [], found
        assert found["on_attributes"] == [], found["on_attributes"]
        assert found["bad_urls"] == [], found["bad_urls"]
        assert found["unexpected_elements"] == [], found["unexpected_elements"]
        assert found["styled"] == [] and found["frames"] == 0, found["styled"]
        landed = found["url"].split("#")[0]
        if name == "appointments":  # its toggles keep their choice in the query (replaceState)
            landed = landed.split("?")[0]
        assert landed == whole_site + SELLER_PAGES[name][0], "the page navigated away"
        assert found["shape"] == baseline["shape"], "a payload changed the page's elements"
        assert found["shown"] and len(found["shown"]) == len(baseline["shown"])
        if name == "my-store editor":
            # As written, less the line breaks a one-line input never holds.
            assert found["values"] == [re.sub(r"[\r\n]", "", text) for text in chunk], "variant names as written"
        written = [visible_text(text) for text in chunk]
        if name == "booking":  # one booking: the note holds the whole chunk, a line each
            written = [visible_text("\n".join(chunk))]
        around = SHOWN_AROUND.get(name)
        shown = [around.sub("", text) for text in found["shown"]] if around else found["shown"]
        assert all(text in written for text in shown), "every field shows as text, as written"


# ---- The store's server-rendered pages: a store, a product, the Marketplace -------------------
#
# Rendered by chalicelib/api/store_html.py with the payload in every field a seller or a buyer
# writes: the seller's name (and, as for the Helper page, their username and picture key), a
# product's title, description, summary, variants' names and SKUs, its files' names, the shipping
# countries, and the Marketplace's search words. The page's own buy form and search form are
# expected; nothing else of the FORBIDDEN kinds.

STORE_PAGE_OWN_CONTROLS = ", ".join((
    "main > .product-layout > .product-buy > form.buy-form[data-buy]",
    "form.buy-form[data-buy] > .variant-choice > .variant-options > .variant-option > input[type=radio][name=variant]",
    "form.buy-form[data-buy] > input[type=hidden][name=variant]",
    "form.buy-form[data-buy] > .quantity-field > .stepper > input[type=number][name=quantity]",
    "main > .marketplace-banner > .container > form.marketplace-search",
    "form.marketplace-search > input[name=q]",
))
STORE_PAGE_IMAGES = "img.store-avatar, img.product-image, .product-thumb img, img.product-card-image"
STORE_INSPECT = INSPECT.replace(
    'const SCRIPTS = ["/config.js", "/js/pages/helper-page.js"];',
    'const SCRIPTS = ["/config.js", "/js/pages/store.js"];',
).replace(
    '    if (tag === "img") { return !element.classList.contains("helper-avatar"); }',
    f'    if (tag === "img") {{ return !element.matches("{STORE_PAGE_IMAGES}"); }}\n'
    f'    if (element.matches("{STORE_PAGE_OWN_CONTROLS}")) {{ return false; }}',
)
assert "/js/pages/store.js" in STORE_INSPECT and "form.buy-form" in STORE_INSPECT
STORE_POINTABLE = POINTABLE + ", label, .product-card-title, .product-files li, .store-name, .product-price"
STORE_PAGES = ("store", "product", "marketplace")


def store_page_with(payloads: list[str], kind: str) -> tuple[str, str]:
    """One of the store's pages, and the text its `h1` must show: the product page with the first
    payload in every field people write; the store and the Marketplace list a product per payload
    (its every field), the seller's and the search's fields holding the first."""
    from types import SimpleNamespace

    from chalicelib.api.store_html import render_marketplace, render_product, render_store
    from chalicelib.domain.rich_text import plain_text
    from chalicelib.domain.store import Product, ProductFile, ProductKind, ProductStatus, ShippingRule, Variant

    payload = payloads[0]

    def seller_of(text: str) -> Any:
        return SimpleNamespace(user_id=text, username=text, display_name=text, avatar_key=text)

    seller = seller_of(payload)
    shipping = ShippingRule(flat_cents=500, free_from_cents=5000, countries=(payload, "US"))

    def product(n: int, text: str) -> Product:
        digital = n % 2 == 0
        return Product(
            seller_id=text, slug=f"{'guide' if digital else 'mug'}-{n}", title=text, description=text,
            kind=ProductKind.DIGITAL if digital else ProductKind.PHYSICAL,
            status=ProductStatus.ACTIVE, created_at=1767225600, updated_at=1767225600, category="tutoring",
            variants=(Variant(variant_id="va", name=text, sku=text, price_cents=1250, stock=3),
                      Variant(variant_id="vb", name=f"{text} 2", sku=text, price_cents=999, stock=None),
                      Variant(variant_id="vc", name=text, sku=text, price_cents=500, stock=0)),
            images=(text, f"media/{text}") if digital else (),
            description_html=render_markdown(f"*About* {text}\n\n- {text}\n\n> {text}"),
            summary=plain_text(text),
            files=(ProductFile(file_id="f1", name=text, content_type="application/pdf", size=2048,
                               key="files/x"),) if digital else ())

    site_url = "https://interkanect.example"
    if kind == "product":
        return render_product(page=seller, product=product(0, payload), shipping=shipping, site_url=site_url,
                              currency="USD"), visible_text(payload).strip()
    products = [product(n, text) for n, text in enumerate(payloads)]
    if kind == "store":
        return render_store(page=seller, products=products, next_cursor=payload, shipping=shipping,
                            site_url=site_url), visible_text(payload).strip()
    categories = [{"slug": "tutoring", "name": "Tutoring"}, {"slug": "home", "name": "Home & DIY"}]
    return render_marketplace(products=[(item, seller_of(item.title)) for item in products], categories=categories,
                              category=None, query=payload, next_cursor=payload, site_url=site_url), "Marketplace"


# ---- The blog's server-rendered pages: a blog and a post -----------------------------------------
#
# Rendered by chalicelib/api/blog_html.py with the payload in every field a Helper writes: their
# name, username and picture key, a post's title, excerpt and Markdown body (rendered by
# domain/post_text.py as when saved: headings, lists, quotes, code, a picture and a placed poll
# around the payload), its cover key, and the blog's paging cursor. The page's own links to its
# feeds (`rel=alternate`) are expected.

BLOG_PAGE_IMAGES = "img.blog-avatar, img.post-cover, img.post-summary-cover, .post-body img"
BLOG_INSPECT = INSPECT.replace(
    'const SCRIPTS = ["/config.js", "/js/pages/helper-page.js"];',
    'const SCRIPTS = ["/config.js", "/js/pages/blog.js"];',
).replace(
    'const LINKS = ["stylesheet", "icon", "canonical"];',
    'const LINKS = ["stylesheet", "icon", "canonical", "alternate"];',
).replace(
    '    if (tag === "img") { return !element.classList.contains("helper-avatar"); }',
    f'    if (tag === "img") {{ return !element.matches("{BLOG_PAGE_IMAGES}"); }}',
)
assert "/js/pages/blog.js" in BLOG_INSPECT and '"alternate"' in BLOG_INSPECT
BLOG_POINTABLE = POINTABLE + ", .post-summary-title, .post-summary-excerpt, .post-body *, .blog-name"
BLOG_PAGES = ("blog", "post")


def blog_page_with(payloads: list[str], kind: str) -> tuple[str, str]:
    """One of the blog's pages, and the text its `h1` must show: a post with the first payload in
    every field a Helper writes; the blog lists a post per payload, the Helper's fields holding
    the first."""
    from types import SimpleNamespace

    from chalicelib.api.blog_html import render_blog, render_post_page
    from chalicelib.domain.post_text import render_post
    from chalicelib.domain.posts import Post, PostStatus

    payload = payloads[0]
    helper = SimpleNamespace(user_id=payload, username=payload, display_name=payload, avatar_key=payload)
    own = "/media/posts/u-1/001800000000-abcd1234/0123456789abcdef0123456789abcdef/1600.webp"

    def post(n: int, text: str) -> Post:
        body = (f"# {text}\n\n{text}\n\n- {text}\n\n> {text}\n\n`{text}`\n\n```\n{text}\n```\n\n"
                f"![{text}]({own})\n\n[poll:001800000000-abcd1234]\n\n[{text}](https://ok.example/{text})")
        return Post(helper_id=payload, post_id=f"0018000000{n:02d}-abcd1234", title=text, slug=f"{text}-{n}",
                    body=body, body_html=render_post(body), excerpt=text, status=PostStatus.PUBLISHED,
                    created_at=1767225600, updated_at=1767225600, published_at=1767225600 - n,
                    cover_key=f"media/{text}/1600.webp")

    site_url = "https://interkanect.example"
    shown = visible_text(payload).strip()
    if kind == "blog":
        return render_blog(page=helper, posts=[post(n, text) for n, text in enumerate(payloads)],
                           next_cursor=payload, first_page=True, site_url=site_url), shown
    return render_post_page(page=helper, post=post(0, payload), site_url=site_url), shown


# ---- Events' server-rendered pages: a Helper's events and an event ---------------------------
#
# Rendered by chalicelib/api/events_html.py with the payload in every field a Helper writes: their
# name, username and picture key, an event's title, Markdown description (rendered as when
# saved), summary, address, and the reason given when it was cancelled. The list links its
# calendar feed; nothing else of the FORBIDDEN kinds is expected.

EVENT_PAGE_IMAGES = "img.event-host-avatar"
EVENT_INSPECT = INSPECT.replace(
    'const SCRIPTS = ["/config.js", "/js/pages/helper-page.js"];',
    'const SCRIPTS = ["/config.js", "/js/pages/events.js"];',
).replace(
    'const LINKS = ["stylesheet", "icon", "canonical"];',
    'const LINKS = ["stylesheet", "icon", "canonical", "alternate"];',
).replace(
    '    if (tag === "img") { return !element.classList.contains("helper-avatar"); }',
    f'    if (tag === "img") {{ return !element.matches("{EVENT_PAGE_IMAGES}"); }}',
)
assert "/js/pages/events.js" in EVENT_INSPECT and "event-host-avatar" in EVENT_INSPECT
assert '"alternate"' in EVENT_INSPECT
EVENT_POINTABLE = POINTABLE + ", .event-title, .event-fact, .event-card *, .event-host *"
EVENT_PAGES = ("events", "event")


def event_page_with(payloads: list[str], kind: str) -> tuple[str, str]:
    """One of the events' pages, and the text its `h1` must show: an event with the first payload
    in every field a Helper writes; the list shows an event per payload, the Helper's fields
    holding the first."""
    from types import SimpleNamespace

    from chalicelib.api.events_html import render_event, render_events
    from chalicelib.domain.events import Event, EventState, Where
    from chalicelib.domain.rich_text import plain_text

    payload = payloads[0]
    helper = SimpleNamespace(user_id=payload, username=payload, display_name=payload, avatar_key=payload)

    def event(n: int, text: str) -> Event:
        return Event(event_id=f"0018000000{n:02d}-abcd1234", helper_id=payload, title=text, description=text,
                     description_html=render_markdown(f"*About* {text}\n\n- {text}\n\n> {text}"),
                     summary=plain_text(text), starts_at=1_800_000_000 + n * 86_400, ends_at=1_800_003_600 + n * 86_400,
                     zone="Europe/Paris", where=Where.IN_PERSON, location=text, capacity=20, price_cents=1500,
                     currency="USD", state=EventState.ANNOUNCED, created_at=1_767_225_600, updated_at=1_767_225_600,
                     taken=3, cancel_reason=text)

    site_url = "https://interkanect.example"
    if kind == "events":
        return render_events(page=helper, events=[event(n, text) for n, text in enumerate(payloads)],
                             site_url=site_url), "Events"
    return render_event(page=helper, event=event(0, payload), site_url=site_url, now=1_767_225_600), \
        visible_text(payload).strip()


# ---- Every server-rendered page --------------------------------------------------------------
#
# A page of one thing (the Helper page, a product, a post, an event) has one payload in every
# field people write: one test per payload. A page listing many (a store, the Marketplace, a
# blog, a Helper's events) lists one thing per payload of a chunk, so each page load holds many
# payloads, each in every field of its thing. Each test's pages are probed at once on the pool's
# browsers (round robin), and the test names each page that went wrong and how.

ITEM_PAGES = ("helper page", "product", "post", "event")
LIST_PAGES = ("store", "marketplace", "blog", "events")
LIST_CHUNK = 11  # things on one list page: the store shows 12 a page, a blog 10 (here, all given)


def page_with(payloads: list[str], kind: str) -> tuple[str, str, str, str]:
    """The page of `kind`: (html, heading, what to inspect, what to point at)."""
    if kind == "helper page":
        return (*helper_page_with(payloads[0]), INSPECT, POINTABLE)
    if kind in STORE_PAGES:
        return (*store_page_with(payloads, kind), STORE_INSPECT, STORE_POINTABLE)
    if kind in BLOG_PAGES:
        return (*blog_page_with(payloads, kind), BLOG_INSPECT, BLOG_POINTABLE)
    return (*event_page_with(payloads, kind), EVENT_INSPECT, EVENT_POINTABLE)


def probe_pages(browser_pool, site, payloads: list[str], kinds: tuple[str, ...], name: str) -> dict[str, list[str]]:
    probes = {}
    for n, kind in enumerate(kinds):
        html, heading, inspect, pointable = page_with(payloads, kind)
        url = publish(site, f"{kind.replace(' ', '-')}-{name}", html)
        thread = browser_pool[n % len(browser_pool)]
        probes[kind] = (url, heading, thread.submit(probe, thread.browser, url, inspect, pointable))
    wrong = {kind: problems_of(future.result(timeout=180), url, heading, exact=kind == "helper page")
             for kind, (url, heading, future) in probes.items()}
    return {kind: found for kind, found in wrong.items() if found}


@pytest.mark.parametrize("index", range(len(PAYLOADS)),
                         ids=[f"{i:02d}-{p[:40]!r}" for i, p in enumerate(PAYLOADS)])
def test_no_payload_on_a_page_of_one_thing_runs_or_leaves_a_handler_or_script_url(browser_pool, site, index):
    assert probe_pages(browser_pool, site, [PAYLOADS[index]], ITEM_PAGES, f"{index:02d}") == {}


@pytest.mark.parametrize("first", range(0, len(PAYLOADS), LIST_CHUNK),
                         ids=[f"{i:02d}-{min(i + LIST_CHUNK, len(PAYLOADS)) - 1:02d}"
                              for i in range(0, len(PAYLOADS), LIST_CHUNK)])
def test_no_payload_on_a_list_page_runs_or_leaves_a_handler_or_script_url(browser_pool, site, first):
    chunk = PAYLOADS[first:first + LIST_CHUNK]
    assert probe_pages(browser_pool, site, chunk, LIST_PAGES, f"list-{first:02d}") == {}
