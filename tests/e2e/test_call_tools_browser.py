"""The call room's data-channel tools (static_site/js/call/chat.js, files.js, whiteboard.js) in
two real Chromium pages joined by a real RTCPeerConnection over loopback.

No local stack is needed: a small harness page, written by this module into a temp folder, is
served together with the built site's /js, /css and /vendor by a tiny two-root HTTP server that
sends the site's own strict CSP. Each page (its own browser context: two people) creates an
RTCPeerConnection, calls setupChat, setupFiles and setupWhiteboard on it before any offer, and
Playwright carries the SDP offer, the answer and the ICE candidates between the two pages.

The browser is launched from the session's Playwright driver (conftest.py's
`playwright_driver`), with the WebRTC flags loopback calls need, so no second sync driver
ever runs on this thread.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from infra.site_build import build as build_site
from infra.site_headers import PERMISSIONS_POLICY, content_security_policy

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--disable-gpu",
]
TIMEOUT_MS = 15_000
CONNECT_WITHIN_S = 20
# The two people have windows of different sizes, so their whiteboards differ in size too.
ALICE_VIEWPORT = {"width": 1280, "height": 1000}
BOB_VIEWPORT = {"width": 900, "height": 1000}

HARNESS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Call tools harness</title>
  <link rel="icon" href="/img/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/css/site.css">
  <link rel="stylesheet" href="/css/call-tools.css">
  <link rel="stylesheet" href="/harness.css">
  <script type="module" src="/harness.js"></script>
</head>
<body>
  <main class="harness">
    <div class="harness-board" id="board"></div>
    <div class="harness-side">
      <div id="chat"></div>
      <div id="files"></div>
    </div>
  </main>
</body>
</html>
"""

HARNESS_CSS = """
.harness { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 1rem;
  padding: 1rem; align-items: start; }
.harness-side { display: grid; gap: 1rem; }
"""

# The test's side of the call page: one RTCPeerConnection, the three tools set up on it right
# after it is created and before any offer, and hooks for Playwright to carry the signalling.
HARNESS_JS = """
import { setupChat } from "/js/call/chat.js";
import { setupFiles } from "/js/call/files.js";
import { setupWhiteboard } from "/js/call/whiteboard.js";

const params = new URLSearchParams(location.search);
const options = { selfName: "You", peerName: params.get("peer") || "Them" };
const pc = new RTCPeerConnection();
const candidates = [];
pc.addEventListener("icecandidate", (event) => {
  if (event.candidate) { candidates.push(event.candidate.toJSON()); }
});
const tools = {
  chat: setupChat(pc, document.getElementById("chat"), options),
  files: setupFiles(pc, document.getElementById("files"), options),
  board: setupWhiteboard(pc, document.getElementById("board"), options),
};

async function sha256Hex(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

window.harness = {
  pc,
  tools,
  async offer() {
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.toJSON();
  },
  async answer(offer) {
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.toJSON();
  },
  async accept(answer) { await pc.setRemoteDescription(answer); },
  drainCandidates() { return candidates.splice(0); },
  async addCandidates(list) { for (const candidate of list) { await pc.addIceCandidate(candidate); } },
  channels() {
    return { connection: pc.connectionState, chat: tools.chat.channel.readyState,
      files: tools.files.channel.readyState, board: tools.board.channel.readyState,
      ids: [tools.chat.channel.id, tools.files.channel.id, tools.board.channel.id],
      ordered: [tools.chat.channel.ordered, tools.files.channel.ordered, tools.board.channel.ordered] };
  },
  /** A file of random bytes, made in the page (crypto.getRandomValues fills 64 KB at a time). */
  randomFile(name, size) {
    const bytes = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
    }
    return new File([bytes], name, { type: "application/octet-stream" });
  },
  sha256Hex,
  /** Painted pixels (alpha > 0) on the whiteboard canvas, and the alpha at normalised points. */
  ink(points = []) {
    const canvas = document.querySelector("canvas.wb-canvas");
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted += 1; } }
    const at = points.map(([x, y]) => {
      const px = Math.min(canvas.width - 1, Math.round(x * canvas.width));
      const py = Math.min(canvas.height - 1, Math.round(y * canvas.height));
      const i = (py * canvas.width + px) * 4;
      return [data[i], data[i + 1], data[i + 2], data[i + 3]];
    });
    return { painted, at, width: canvas.width, height: canvas.height };
  },
};
document.documentElement.dataset.ready = "true";
"""

# Reports CSP violations as console errors, so the log below catches them.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class TwoRoots(http.server.SimpleHTTPRequestHandler):
    """/js, /css, /vendor and /img from the built site; everything else from the harness folder.
    Every answer carries the site's strict CSP and nosniff, as CloudFront sends them."""

    harness_root: str = ""
    site_root: str = ""
    csp = content_security_policy("ws://127.0.0.1:9")
    SITE_FOLDERS = ("/js/", "/css/", "/vendor/", "/img/")

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith(self.SITE_FOLDERS):
            root = self.site_root
        else:
            root = self.harness_root
        translated = http.server.SimpleHTTPRequestHandler.translate_path(self, path)
        # SimpleHTTPRequestHandler resolves against self.directory; re-base it on `root`.
        return os.path.join(root, os.path.relpath(translated, self.directory))

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Permissions-Policy", PERMISSIONS_POLICY)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def harness_url(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("call-tools-harness")
    (root / "harness.html").write_text(HARNESS_HTML, encoding="utf-8")
    (root / "harness.js").write_text(HARNESS_JS, encoding="utf-8")
    (root / "harness.css").write_text(HARNESS_CSS, encoding="utf-8")
    site = build_site(tmp_path_factory.mktemp("call-tools-site") / "site")
    handler = type("Harness", (TwoRoots,), {"harness_root": str(root), "site_root": str(site)})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    serving = threading.Thread(target=server.serve_forever, name="call-tools-site", daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/harness.html"
    server.shutdown()
    server.server_close()
    serving.join(timeout=5)


@pytest.fixture(scope="module")
def webrtc_browser(playwright_driver: Playwright) -> Browser:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Call:
    """Two people, each in their own browser context, connected peer to peer."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.errors: list[str] = []
        self.contexts: list[BrowserContext] = []
        self.alice = self._open(browser, url, "Alice", "Bob", ALICE_VIEWPORT)
        self.bob = self._open(browser, url, "Bob", "Alice", BOB_VIEWPORT)

    def _open(self, browser: Browser, url: str, name: str, peer: str, viewport: dict) -> Page:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and self.errors.append(
            f"{name} console: {message.text} ({message.location.get('url', '')})"))
        page.on("pageerror", lambda error: self.errors.append(f"{name} uncaught: {error}"))
        response = page.goto(f"{url}?peer={peer}")
        assert response is not None and response.ok
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector("html[data-ready=true]")
        return page

    def connect(self) -> None:
        offer = self.alice.evaluate("harness.offer()")
        assert "m=application" in offer["sdp"], "the negotiated channels must be in the offer"
        answer = self.bob.evaluate("(offer) => harness.answer(offer)", offer)
        self.alice.evaluate("(answer) => harness.accept(answer)", answer)
        deadline = time.monotonic() + CONNECT_WITHIN_S
        while True:
            for source, target in ((self.alice, self.bob), (self.bob, self.alice)):
                candidates = source.evaluate("harness.drainCandidates()")
                if candidates:
                    target.evaluate("(list) => harness.addCandidates(list)", candidates)
            states = [page.evaluate("harness.channels()") for page in (self.alice, self.bob)]
            if all(s["chat"] == s["files"] == s["board"] == "open" and s["connection"] == "connected"
                   for s in states):  # the channels can open a moment before the connection says so
                break
            assert time.monotonic() < deadline, f"the peers did not connect: {states}"
            self.alice.wait_for_timeout(50)
        for state in states:
            assert state["connection"] == "connected"
            assert state["ids"] == [1, 2, 3] and state["ordered"] == [True, True, True]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def call(webrtc_browser: Browser, harness_url: str):
    call = Call(webrtc_browser, harness_url)
    try:
        call.connect()
        yield call
        assert call.errors == [], call.errors
    finally:
        call.close()


def draw(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 25) -> None:
    """A real mouse stroke on the whiteboard, between two points given as fractions of it."""
    box = page.locator("canvas.wb-canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"],
                    steps=steps)
    page.mouse.up()


def strokes(page: Page) -> list[dict]:
    return page.evaluate("harness.tools.board.strokes()")


# ---- Chat -----------------------------------------------------------------------------------

def test_a_chat_message_arrives_with_sender_and_time_and_is_announced(call: Call):
    alice, bob = call.alice, call.bob
    expect(alice.locator("#chat .ct-status")).to_have_text("Connected")

    box = alice.get_by_label("Message", exact=True)
    box.fill("Hello Bob, can you see my screen?")
    box.press("Enter")

    theirs = bob.locator(".chat-message.is-theirs")
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".chat-text")).to_have_text("Hello Bob, can you see my screen?")
    expect(theirs.locator(".chat-sender")).to_have_text("Alice")
    assert theirs.locator("time").get_attribute("datetime")
    expect(bob.locator("#chat [aria-live=polite]")).to_have_text(
        "Alice says: Hello Bob, can you see my screen?")
    expect(alice.locator(".chat-message.is-mine .chat-text")).to_have_text(
        "Hello Bob, can you see my screen?")
    expect(box).to_have_value("")

    # Shift+Enter is a new line; the peer's markup is only ever text.
    box.fill("line one")
    box.press("Shift+Enter")
    box.type("<img src=x onerror=alert(1)>")
    box.press("Enter")
    expect(theirs).to_have_count(2)
    expect(theirs.nth(1).locator(".chat-text")).to_have_text("line one\n<img src=x onerror=alert(1)>")
    assert bob.locator("#chat img").count() == 0

    # Bob answers through the module's API; the limit holds on both ends.
    assert bob.evaluate("harness.tools.chat.sendText('Yes, I can.')") is True
    expect(alice.locator(".chat-message.is-theirs .chat-text")).to_have_text("Yes, I can.")
    assert bob.evaluate("harness.tools.chat.sendText('x'.repeat(2001))") is False
    assert bob.evaluate("harness.tools.chat.sendText('   ')") is False
    assert box.get_attribute("maxlength") == "2000"
    assert [m["text"] for m in alice.evaluate("harness.tools.chat.messages()")] == [
        "Hello Bob, can you see my screen?", "line one\n<img src=x onerror=alert(1)>", "Yes, I can."]


# ---- Files ----------------------------------------------------------------------------------

def test_a_1_mb_file_is_offered_accepted_and_arrives_byte_identical(call: Call):
    alice, bob = call.alice, call.bob
    data = os.urandom(1024 * 1024)
    digest = hashlib.sha256(data).hexdigest()

    alice.get_by_label("Send a file").set_input_files(
        files=[{"name": "notes.bin", "mimeType": "application/octet-stream", "buffer": data}])

    offer = bob.locator(".files-item.is-incoming")
    expect(offer.locator(".files-name")).to_have_text("notes.bin")
    expect(offer.locator(".files-meta")).to_contain_text("1 MB")
    expect(offer.locator(".files-state")).to_have_text("Alice wants to send you this file.")
    expect(bob.locator("#files [aria-live=polite]").last).to_contain_text("notes.bin")
    expect(alice.locator(".files-item.is-outgoing .files-state")).to_have_text(
        "Waiting for Bob to accept…")
    # Nothing is sent before Bob accepts.
    alice.wait_for_timeout(300)
    assert alice.evaluate("harness.tools.files.transfers()[0]")["bytes"] == 0
    assert bob.evaluate("harness.tools.files.transfers()[0]")["bytes"] == 0

    bob.get_by_role("button", name="Accept notes.bin").click()

    expect(offer.locator(".files-state")).to_have_text("Received and verified (SHA-256 matches).")
    expect(offer.locator(".files-verified")).to_have_text("Verified")
    expect(alice.locator(".files-item.is-outgoing .files-state")).to_have_text(
        "Delivered and verified by Bob.")
    for page in (alice, bob):
        bar = page.locator(".files-progress")
        assert bar.evaluate("(bar) => [bar.value, bar.max]") == [len(data), len(data)]
    received = bob.evaluate("harness.tools.files.transfers()[0]")
    assert received["state"] == "done" and received["bytes"] == len(data)
    assert received["sha256"] == digest
    assert received["url"].startswith("blob:")
    # The link downloads the very same bytes.
    with bob.expect_download() as downloading:
        bob.get_by_role("link", name="Download notes.bin").click()
    download = downloading.value
    assert download.suggested_filename == "notes.bin"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("canceller", ["receiver", "sender"])
def test_cancelling_mid_transfer_stops_both_sides(call: Call, canceller: str):
    alice, bob = call.alice, call.bob
    size = 64 * 1024 * 1024
    transfer_id = alice.evaluate(
        "(size) => harness.tools.files.sendFile(harness.randomFile('big.bin', size))", size)
    assert transfer_id is not None
    bob.get_by_role("button", name="Accept big.bin").click()

    # The canceller clicks Cancel as soon as its progress bar moves, in the page itself so that
    # the transfer is surely still running.
    page = bob if canceller == "receiver" else alice
    at_cancel = page.evaluate("""async () => {
        const bar = document.querySelector(".files-progress");
        const started = performance.now();
        while (!(bar.value > 0) && performance.now() - started < 10000) {
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        const state = harness.tools.files.transfers()[0];
        document.querySelector(".files-actions button").click();
        return { bar: bar.value, max: bar.max, state: state.state, bytes: state.bytes,
                 label: bar.getAttribute("aria-label") };
    }""")
    assert 0 < at_cancel["bar"] < size, at_cancel
    assert at_cancel["state"] in ("sending", "receiving"), at_cancel
    assert at_cancel["label"] == "big.bin: progress"

    other = alice if canceller == "receiver" else bob
    expect(page.locator(".files-state")).to_have_text("Cancelled.")
    expect(other.locator(".files-state")).to_have_text(
        "Cancelled by Bob." if canceller == "receiver" else "Cancelled by Alice.")
    sent = alice.evaluate("harness.tools.files.transfers()[0]")
    got = bob.evaluate("harness.tools.files.transfers()[0]")
    assert sent["state"] == got["state"] == "cancelled"
    assert got["bytes"] < size and got["url"] is None
    # Both progress bars stay where the transfer stopped.
    for person in (alice, bob):
        value, maximum = person.locator(".files-progress").evaluate("(bar) => [bar.value, bar.max]")
        assert 0 < value < maximum == size
    # The sender has stopped: nothing more is queued, nothing more arrives.
    alice.wait_for_timeout(600)
    assert alice.evaluate("harness.tools.files.transfers()[0]")["bytes"] == sent["bytes"] < size
    assert bob.evaluate("harness.tools.files.transfers()[0]")["bytes"] == got["bytes"]
    expect(bob.get_by_role("link", name="Download big.bin")).to_have_count(0)

    # The channel is still good: late chunks of the cancelled file do not leak into the next.
    alice.evaluate("harness.tools.files.sendFile(harness.randomFile('small.bin', 40000))")
    bob.get_by_role("button", name="Accept small.bin").click()
    expect(bob.locator(".files-item", has_text="small.bin").locator(".files-verified")).to_have_text(
        "Verified")
    small = bob.evaluate("harness.tools.files.transfers()[0]")
    assert small["name"] == "small.bin" and small["bytes"] == 40000
    assert small["sha256"] == alice.evaluate("harness.tools.files.transfers()[0]")["sha256"]


def test_declines_the_size_limit_and_untrusted_frames(call: Call):
    alice, bob = call.alice, call.bob

    # Bob declines: Alice is told, nothing is sent.
    alice.evaluate("harness.tools.files.sendFile(harness.randomFile('unwanted.bin', 5000))")
    bob.get_by_role("button", name="Decline unwanted.bin").click()
    expect(alice.locator(".files-state")).to_have_text("Bob declined.")
    assert alice.evaluate("harness.tools.files.transfers()[0]")["bytes"] == 0

    # Over 100 MB is refused by the sender's page...
    refused = alice.evaluate(
        "harness.tools.files.sendFile(new Blob([new Uint8Array(100 * 1024 * 1024 + 1)]))")
    assert refused is None
    expect(alice.locator(".files-notice")).to_contain_text("the limit is 100 MB")
    # ...and, if a modified client offers it anyway, by the receiver's page.
    alice.evaluate("""harness.tools.files.channel.send(JSON.stringify(
        {t: "offer", id: 77, name: "huge.iso", size: 200 * 1024 * 1024, type: "x"}))""")
    expect(bob.locator(".files-notice")).to_contain_text("over the 100 MB limit")
    expect(bob.get_by_role("button", name="Accept huge.iso")).to_have_count(0)

    # A hostile name is shown as text, without path or bidi tricks.
    alice.evaluate("""harness.tools.files.channel.send(JSON.stringify({t: "offer", id: 78,
        name: "../<img src=x onerror=alert(1)>\\u202egnp.exe", size: 10, type: "text/html"}))""")
    hostile = bob.locator(".files-item", has_text="onerror")
    expect(hostile.locator(".files-name")).to_have_text("__img src=x onerror=alert(1)__gnp.exe")

    # Garbage on every channel changes nothing and throws nothing.
    draw(bob, (0.5, 0.2), (0.6, 0.3))
    alice.wait_for_function("() => harness.tools.board.strokes().length === 1")
    [bobs] = strokes(bob)
    alice.evaluate("""(BOBS) => {
        const {chat, files, board} = harness.tools;
        const junk = ["", "null", "[]", "{", "x".repeat(70000), JSON.stringify({t: "msg"}),
          JSON.stringify({t: "msg", text: 42}), JSON.stringify({t: "msg", text: "x".repeat(2001)}),
          '{"__proto__": {"polluted": true}, "t": "msg", "text": ""}',
          JSON.stringify({t: "accept", id: -1}), JSON.stringify({t: "cancel", id: 78}),
          JSON.stringify({t: "end", id: 78, sha256: "zz"}),
          JSON.stringify({t: "begin", id: "a b", tool: "pen", color: "#2563eb", size: 0.01}),
          JSON.stringify({t: "begin", id: "ok1", tool: "pen", color: "red;x:url(y)", size: 0.01}),
          JSON.stringify({t: "begin", id: "ok2", tool: "laser", size: 0.01}),
          JSON.stringify({t: "begin", id: "ok3", tool: "pen", color: "#2563eb", size: 0.01,
                          pts: [[0.5, "0.5"]]}),
          JSON.stringify({t: "pts", id: "ok3", pts: [[0.5, 0.5]]}),
          JSON.stringify({t: "begin", id: "far", tool: "eraser", size: 5, pts: [[2, -3, 9]]}),
          JSON.stringify({t: "pts", id: "far", pts: [[0.5, 0.5], [1e308, -1e308, -1]]}),
          JSON.stringify({t: "end", id: "far"}), JSON.stringify({t: "end", id: "ok3"}),
          JSON.stringify({t: "undo", id: BOBS}), JSON.stringify({t: "zap"})];
        for (const frame of junk) {
          for (const channel of [chat.channel, files.channel, board.channel]) { channel.send(frame); }
        }
        const bytes = new Uint8Array(20);
        for (const channel of [chat.channel, files.channel, board.channel]) {
          channel.send(bytes.buffer);  // a chunk for no transfer, and binary where text belongs
        }
        chat.channel.send(JSON.stringify({t: "msg", text: "still here"}));
    }""", bobs["id"])
    expect(bob.locator(".chat-message.is-theirs .chat-text")).to_have_text("still here")
    assert bob.locator(".chat-message").count() == 1
    # Alice's page could not undo Bob's stroke nor add a malformed one; a valid one is bounded.
    assert [(s["id"], s["mine"]) for s in strokes(bob)] == [(bobs["id"], True), ("far", False)]
    far = strokes(bob)[1]
    assert far["points"] == [[1.05, -0.05, 1], [0.5, 0.5, 0.5], [1.05, -0.05, 0]]
    assert far["size"] == 0.08 and far["tool"] == "eraser" and far["color"] is None
    assert bob.evaluate("({}).polluted") is None
    assert bob.locator("#files img, #chat img").count() == 0
    expect(hostile.locator(".files-state")).to_have_text("Alice wants to send you this file.")


# ---- Whiteboard -----------------------------------------------------------------------------

def test_whiteboard_strokes_undo_and_clear_reach_the_other_side(call: Call):
    alice, bob = call.alice, call.bob
    alice_ink = alice.evaluate("harness.ink()")
    bob_ink = bob.evaluate("harness.ink()")
    assert alice_ink["painted"] == bob_ink["painted"] == 0
    assert alice_ink["width"] != bob_ink["width"], "the two boards should differ in size"
    assert abs(alice_ink["width"] / alice_ink["height"] - bob_ink["width"] / bob_ink["height"]) < 0.01

    # Alice draws with the mouse; Bob sees the same stroke at the same place on his board.
    draw(alice, (0.2, 0.3), (0.7, 0.6))
    bob.wait_for_function("() => harness.tools.board.strokes().length === 1")
    [mine] = strokes(alice)
    [theirs] = strokes(bob)
    assert mine["mine"] is True and theirs["mine"] is False
    assert theirs["points"] == mine["points"] and len(mine["points"]) >= 10
    assert theirs["color"] == mine["color"] == "#1f2937" and theirs["tool"] == "pen"
    assert abs(mine["points"][0][0] - 0.2) < 0.01 and abs(mine["points"][-1][1] - 0.6) < 0.01
    bob.wait_for_function("() => harness.ink([[0.45, 0.45]]).at[0][3] > 100")
    painted = bob.evaluate("harness.ink([[0.45, 0.45], [0.9, 0.1]])")
    assert painted["painted"] > 500
    assert painted["at"][1][3] == 0, "nothing should be painted far from the stroke"

    # A red, thick stroke from Alice, then one from Bob.
    alice.get_by_role("button", name="Red").click()
    alice.get_by_role("button", name="Thick").click()
    expect(alice.get_by_role("button", name="Red")).to_have_attribute("aria-pressed", "true")
    draw(alice, (0.1, 0.8), (0.9, 0.8))
    draw(bob, (0.5, 0.1), (0.5, 0.4))
    alice.wait_for_function("() => harness.tools.board.strokes().length === 3")
    bob.wait_for_function("() => harness.tools.board.strokes().length === 3")
    red = [s for s in strokes(bob) if s["color"] == "#dc2626"]
    assert len(red) == 1 and red[0]["size"] == 0.014
    bob.wait_for_function("() => { const [r, g, b, a] = harness.ink([[0.5, 0.8]]).at[0];"
                          " return a > 200 && r > 180 && g < 90 && b < 90; }")

    # The eraser rubs out, on both boards.
    alice.get_by_role("button", name="Eraser").click()
    draw(alice, (0.45, 0.7), (0.55, 0.9))
    bob.wait_for_function("() => harness.tools.board.strokes().length === 4")
    assert strokes(bob)[-1]["tool"] == "eraser"
    bob.wait_for_function("() => harness.ink([[0.5, 0.8]]).at[0][3] === 0")

    # Undo takes back only the undoer's own last stroke, on both sides.
    alice.get_by_role("button", name="Undo").click()          # the eraser stroke
    bob.wait_for_function("() => harness.tools.board.strokes().length === 3")
    bob.wait_for_function("() => harness.ink([[0.5, 0.8]]).at[0][3] > 200")
    bob.locator("canvas.wb-canvas").focus()
    bob.keyboard.press("Control+z")                            # Bob's own stroke
    alice.wait_for_function("() => harness.tools.board.strokes().length === 2")
    assert all(s["mine"] for s in strokes(alice))
    assert [s["id"] for s in strokes(bob)] == [s["id"] for s in strokes(alice)]

    # Save keeps a PNG on this device only.
    with alice.expect_download() as saving:
        alice.get_by_role("button", name="Save").click()
    assert saving.value.suggested_filename.endswith(".png")

    # Clear wipes both boards.
    bob.get_by_role("button", name="Clear").click()
    alice.wait_for_function("() => harness.tools.board.strokes().length === 0")
    assert strokes(bob) == []
    alice.wait_for_function("() => harness.ink().painted === 0")
    bob.wait_for_function("() => harness.ink().painted === 0")
    expect(alice.locator("#board [aria-live=polite]")).to_have_text("Bob cleared the whiteboard.")
    expect(alice.get_by_role("button", name="Undo")).to_be_disabled()


def test_the_help_button_explains_every_tool(call: Call):
    alice = call.alice
    help_button = alice.get_by_role("button", name="Whiteboard help")
    help_button.click()
    dialog = alice.get_by_role("dialog", name="How the whiteboard works")
    expect(dialog).to_be_visible()
    for term in ("Pen (P)", "Eraser (E)", "Colours", "Line width", "Undo (Ctrl+Z or ⌘Z)", "Clear",
                 "Save", "Help (?)"):
        expect(dialog.locator("dt", has_text=term).first).to_be_visible()
    expect(dialog).to_contain_text("never receives or stores it")
    # Every button of the toolbar is named in the help.
    labels = alice.evaluate("""Array.from(document.querySelectorAll('.wb-toolbar button'),
        (b) => b.querySelector('.wb-label')?.textContent).filter(Boolean)""")
    assert labels == ["Pen", "Eraser", "Undo", "Clear", "Save", "Help"]
    for label in labels:
        expect(dialog.locator("dt", has_text=label).first).to_be_visible()
    alice.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(help_button).to_be_focused()

    # The ? key opens it too; the Got it button closes it.
    alice.locator("canvas.wb-canvas").focus()
    alice.keyboard.press("?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Got it").click()
    expect(dialog).to_be_hidden()
