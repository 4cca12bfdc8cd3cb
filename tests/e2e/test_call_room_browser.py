"""The call room in two real Chromium browsers on the whole local stack: a Helper is online, a
customer calls from the Helper's page, the Helper's pop-up rings and they answer, they agree free
terms, video flows both ways peer to peer, a chat message, a 1 MB file and a whiteboard stroke
cross over the data channels, screen sharing swaps the video track, both see the same
verification code, the session runs out into an extension they agree on, and when the call ends
the customer rates the session from the end-of-call prompt (tests/e2e/test_reviews_browser.py
follows the review to the Helper's page)."""
from __future__ import annotations

import hashlib
import os
import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import PASSWORD, sign_up_and_in
from tests.support.call_browser import answer_from_pop_up, expect_video_playing, open_person, sign_in
from tests.support.pages import become_helper, wait_until_online

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

REMOTE = "[data-testid='remote-video']"
LOCAL = "[data-testid='local-video']"
CODE = re.compile(r"^\d{4} \d{4} \d{4}$")


def user_id_of(person) -> str:
    import jwt

    return jwt.decode(person.access_token, options={"verify_signature": False})["sub"]


def aspect(page: Page, selector: str = REMOTE) -> float:
    return page.evaluate("(s) => { const v = document.querySelector(s); return v.videoWidth / v.videoHeight; }",
                         selector)


def wait_for_aspect(page: Page, low: float, high: float, selector: str = REMOTE) -> None:
    page.wait_for_function(
        """([s, low, high]) => { const v = document.querySelector(s);
             if (!v || !v.videoHeight) return false;
             const r = v.videoWidth / v.videoHeight; return r >= low && r <= high; }""",
        arg=[selector, low, high], timeout=20_000)


def sha256_of_download(page: Page, link) -> str:
    """Downloads the received file as the person would (the Download link) and hashes it."""
    with page.expect_download() as download:
        link.click()
    return hashlib.sha256(open(download.value.path(), "rb").read()).hexdigest()


def inked_pixels(page: Page) -> int:
    """Pixels of the whiteboard canvas that are not blank."""
    return page.evaluate("""() => {
      const canvas = document.querySelector("[data-tool-panel='whiteboard'] canvas");
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        const blank = data[i + 3] === 0 || (data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240);
        if (!blank) inked += 1;
      }
      return inked;
    }""")


def test_two_people_call_agree_talk_share_and_hang_up(call_browser: Browser, local_stack, app_env,
                                                       browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "roomhelper", prices={"15": 0, "30": 2500, "60": None})
    customer = sign_up_and_in(api, "roomcustomer")

    # The Helper is signed in with the site open on their page editor: online.
    helper_page = browser_log.watch(open_person(call_browser, local_stack["site"], timeout_ms=30_000).new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/become-a-helper.html")
    wait_until_online(api, helper.tokens["user_id"])

    # The customer finds the Helper's page and presses Call now.
    customer_page = browser_log.watch(open_person(call_browser, local_stack["site"], timeout_ms=30_000).new_page(), "customer")
    sign_in(customer_page, customer.email, PASSWORD, f"/h/{helper.username}")
    call_now = customer_page.get_by_role("button", name=re.compile("Call now"))
    expect(call_now).to_be_enabled()
    call_now.click()
    expect(customer_page).to_have_url(re.compile(r"/call\.html\?"))
    expect(customer_page.get_by_role("heading", level=1)).to_have_text(f"Call with {helper.display_name}")
    expect(customer_page.locator("[data-room]")).to_have_attribute("data-phase", "ringing")
    expect(customer_page.get_by_role("region", name=f"Calling {helper.display_name}")).to_contain_text(
        "45 seconds to answer")

    # The Helper's pop-up rings with the customer's name; they answer into the room.
    answer_from_pop_up(helper_page, customer.display_name)
    expect(helper_page).to_have_url(re.compile(r"/call\.html\?call=[0-9a-f]+$"))
    expect(helper_page.get_by_role("heading", level=1)).to_have_text(f"Call with {customer.display_name}")
    expect(customer_page.get_by_test_id("phase-countdown")).to_have_text(re.compile(r"^[45]:\d\d$"))

    # Terms: the Helper picks "15 min · Free" from their prices; the customer accepts.
    helper_page.get_by_role("button", name="15 min · Free").click()
    expect(helper_page.get_by_label("Price", exact=True)).to_have_value("0")
    expect(helper_page.get_by_label("Minutes", exact=True)).to_have_value("15")
    helper_page.get_by_role("button", name="Propose terms").click()
    expect(helper_page.get_by_test_id("terms-on-table")).to_contain_text("15 minutes, free")
    offer = customer_page.get_by_test_id("terms-offer")
    expect(offer).to_contain_text("15 min")
    expect(offer).to_contain_text("Free")
    customer_page.get_by_test_id("accept-terms").click()
    for page in (helper_page, customer_page):
        expect(page.locator("[data-phase-title]")).to_have_text("Session in progress")
        expect(page.get_by_test_id("phase-countdown")).to_have_text(re.compile(r"^1[45]:\d\d$"))

    # Video both ways: frames keep arriving on each side.
    for page in (helper_page, customer_page):
        playing = expect_video_playing(page)
        assert playing["width"] > 0 and playing["height"] > 0
        expect(page.get_by_test_id("connection-state")).to_contain_text("Connected")

    # Both see the same verification code, from the two DTLS fingerprints.
    codes = []
    for page in (helper_page, customer_page):
        code = page.get_by_test_id("verification-code")
        expect(code).to_have_text(CODE)
        codes.append(code.inner_text())
    assert codes[0] == codes[1]

    # Chat over its data channel.
    customer_page.get_by_role("tab", name=re.compile("Chat")).click()
    message = customer_page.get_by_role("textbox", name="Message")
    expect(message).to_be_enabled()
    message.fill("Hello from the customer, can you see my sink?")
    message.press("Enter")
    expect(helper_page.locator("[data-tool-panel='chat'] .chat-log")).to_contain_text(
        "Hello from the customer, can you see my sink?")

    # A 1 MB file: the Helper accepts it and it arrives byte for byte.
    payload = os.urandom(1024 * 1024)
    customer_page.get_by_role("tab", name="Files").click()
    helper_page.get_by_role("tab", name="Files").click()
    expect(customer_page.locator("[data-tool-panel='files'] .ct-status")).to_have_text("Connected")
    customer_page.locator("[data-tool-panel='files'] input[type='file']").set_input_files(
        files=[{"name": "photo-of-the-leak.bin", "mimeType": "application/octet-stream", "buffer": payload}])
    helper_page.get_by_role("button", name="Accept photo-of-the-leak.bin").click()
    download = helper_page.get_by_role("link", name="Download photo-of-the-leak.bin")
    expect(download).to_be_visible(timeout=30_000)
    assert sha256_of_download(helper_page, download) == hashlib.sha256(payload).hexdigest()
    expect(customer_page.locator("[data-tool-panel='files']")).to_contain_text("Delivered and verified")

    # A whiteboard stroke drawn by the customer appears on the Helper's board.
    customer_page.get_by_role("tab", name="Whiteboard").click()
    helper_page.get_by_role("tab", name="Whiteboard").click()
    expect(customer_page.locator("[data-tool-panel='whiteboard'] .ct-status")).to_have_text("Connected")
    blank = inked_pixels(helper_page)
    board = customer_page.locator("[data-tool-panel='whiteboard'] canvas").bounding_box()
    customer_page.mouse.move(board["x"] + board["width"] * 0.2, board["y"] + board["height"] * 0.3)
    customer_page.mouse.down()
    for step in range(1, 21):
        customer_page.mouse.move(board["x"] + board["width"] * (0.2 + step * 0.03),
                                 board["y"] + board["height"] * (0.3 + step * 0.015))
    customer_page.mouse.up()
    expect(helper_page.locator("[data-tool-panel='whiteboard']")).to_contain_text(
        re.compile(r"1 strokes? on the board"))
    helper_page.wait_for_function("""(blank) => {
      const canvas = document.querySelector("[data-tool-panel='whiteboard'] canvas");
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        const white = data[i + 3] === 0 || (data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240);
        if (!white) inked += 1;
      }
      return inked > blank + 50;
    }""", arg=blank)

    # Screen sharing swaps the customer's video track: the Helper sees a 16:9 screen instead of
    # the 4:3 camera, then the camera again when sharing stops.
    assert 1.2 < aspect(helper_page) < 1.45
    customer_page.get_by_role("button", name="Share screen").click()
    wait_for_aspect(helper_page, 1.7, 1.85)
    expect(helper_page.locator("[data-remote-badges]")).to_contain_text("Sharing screen")
    expect(customer_page.get_by_role("button", name="Stop sharing")).to_have_attribute("aria-pressed", "true")
    expect_video_playing(helper_page)
    customer_page.get_by_role("button", name="Stop sharing").click()
    wait_for_aspect(helper_page, 1.2, 1.45)
    expect(helper_page.locator("[data-remote-badges]")).not_to_contain_text("Sharing screen")

    # The customer's signalling socket drops (as at API Gateway's 2-hour limit): the page
    # reconnects and rejoins the call, and the media never stops.
    desk = app_env.call_desk()
    dropped = [c.connection_id for c in desk.connections.for_user(user_id_of(customer))]
    assert dropped
    for connection_id in dropped:
        desk.sender.close(connection_id)
    deadline = time.monotonic() + 30
    while not set(c.connection_id for c in desk.connections.for_user(user_id_of(customer))) - set(dropped):
        assert time.monotonic() < deadline, "the customer's page never reconnected"
        time.sleep(0.2)
    for page in (helper_page, customer_page):
        expect_video_playing(page)
        expect(page.get_by_test_id("connection-state")).to_contain_text("Connected")

    # Mute shows on the other side (a signal through the new connection).
    customer_page.get_by_role("button", name="Mute").click()
    expect(customer_page.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "true")
    expect(helper_page.locator("[data-remote-badges]")).to_contain_text("Muted")
    customer_page.get_by_role("button", name="Mute").click()
    expect(helper_page.locator("[data-remote-badges]")).not_to_contain_text("Muted")

    # The session time runs out (the clock moved on by the server's sweep): not cut, an
    # extension pop-up on both sides; the Helper offers 5 more free minutes, the customer accepts.
    from chalicelib.services.calls import sweep_calls

    assert sweep_calls(desk=app_env.call_desk(), now=int(time.time()) + 15 * 60 + 2) >= 1
    for page in (helper_page, customer_page):
        extension = page.get_by_test_id("extension-dialog")
        expect(extension).to_be_visible()
        expect(extension.locator("[data-phase-title]")).to_have_text("Agree on more time")
    helper_extension = helper_page.get_by_test_id("extension-dialog")
    helper_extension.get_by_label("Price", exact=True).fill("0")
    helper_extension.get_by_label("Minutes", exact=True).fill("5")
    helper_extension.get_by_role("button", name="Propose terms").click()
    customer_extension = customer_page.get_by_test_id("extension-dialog")
    expect(customer_extension.get_by_test_id("terms-offer")).to_contain_text("5 min")
    customer_extension.get_by_test_id("accept-terms").click()
    for page in (helper_page, customer_page):
        expect(page.get_by_test_id("extension-dialog")).to_be_hidden()
        expect(page.locator("[data-phase-title]")).to_have_text("Session in progress")
    expect_video_playing(customer_page)  # the media never stopped

    # The customer hangs up: both see why, and the customer (only) is asked to rate the session.
    customer_page.get_by_test_id("end-call").click()
    expect(customer_page.get_by_role("heading", name="Call ended", level=2)).to_be_visible()
    expect(customer_page.locator("[data-ended-text]")).to_have_text("You ended the call.")
    expect(helper_page.locator("[data-ended-text]")).to_have_text(f"{customer.display_name} ended the call.")
    rating = customer_page.get_by_test_id("rating-prompt")
    expect(rating).to_contain_text(f"How was your session with {helper.display_name}?")
    expect(rating.get_by_role("radiogroup", name="Your rating")).to_be_visible()
    rating.get_by_text("★").nth(3).click()
    expect(rating).to_contain_text("4 of 5: Very good")
    rating.get_by_role("button", name="Post review").click()
    expect(rating.get_by_test_id("review-saved")).to_contain_text(
        f"Thanks — your review is on {helper.display_name}'s page.")
    expect(helper_page.get_by_test_id("rating-prompt")).to_have_count(0)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_declined_call_stops_ringing_in_every_tab_and_tells_the_caller(call_browser: Browser, local_stack,
                                                                          browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "declinehelper")
    customer = sign_up_and_in(api, "declinecustomer")

    # The Helper has the site open in two tabs.
    helper_context = open_person(call_browser, local_stack["site"], timeout_ms=30_000)
    first_tab = browser_log.watch(helper_context.new_page(), "helper tab 1")
    sign_in(first_tab, helper.email, PASSWORD, "/become-a-helper.html")
    second_tab = browser_log.watch(helper_context.new_page(), "helper tab 2")
    second_tab.goto("/index.html")
    expect(second_tab.get_by_test_id("signed-in-name")).to_have_text(helper.display_name)
    wait_until_online(api, helper.tokens["user_id"])

    customer_page = browser_log.watch(open_person(call_browser, local_stack["site"], timeout_ms=30_000).new_page(),
                                      "customer")
    sign_in(customer_page, customer.email, PASSWORD, f"/call.html?helper={helper.username}")
    expect(customer_page.locator("[data-room]")).to_have_attribute("data-phase", "ringing")

    for tab in (first_tab, second_tab):
        pop_up = tab.get_by_role("alertdialog")
        expect(pop_up).to_be_visible()
        expect(pop_up).to_contain_text(customer.display_name)
        expect(pop_up).to_contain_text(re.compile(r"Answer within 0:[0-4]\d"))
    first_tab.get_by_role("alertdialog").get_by_role("button", name="Decline").click()
    for tab in (first_tab, second_tab):
        expect(tab.get_by_role("alertdialog")).to_have_count(0)

    expect(customer_page.locator("[data-ended-title]")).to_have_text(f"{helper.display_name} can't talk right now")
    expect(customer_page.get_by_role("link", name="Call again")).to_have_attribute(
        "href", f"/call.html?helper={helper.username}")
    expect(customer_page.get_by_test_id("rating-prompt")).to_have_count(0)  # no session, nothing to rate

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_a_visitor_signs_in_before_calling(page: Page, local_stack, browser_log):
    helper = become_helper(local_stack["api"], "visitedhelper")
    helper_page = page.context.browser.new_context(base_url=local_stack["site"]).new_page()
    try:
        sign_in(helper_page, helper.email, PASSWORD, "/index.html")
        wait_until_online(local_stack["api"], helper.tokens["user_id"])
        page.goto(f"/h/{helper.username}")
        call_now = page.get_by_role("button", name=re.compile("Call now"))
        expect(call_now).to_be_enabled()
        expect(call_now).to_contain_text("Sign in first, then call")
        call_now.click()
        expect(page).to_have_url(re.compile(r"/sign-in\.html\?next=%2Fcall\.html%3Fhelper%3D"))
    finally:
        helper_page.context.close()
    assert browser_log.unexpected() == []


# Counts, in every page of the Helper's context, what would send media or network addresses
# (the camera asked for, peer connections made) and the sockets opened.
MEDIA_WATCH = """
(() => {
  window.__cameraAsks = 0;
  window.__peerConnections = 0;
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => { window.__cameraAsks += 1; return ask(constraints); };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) { window.__peerConnections += 1; return new Native(...args); };
  window.RTCPeerConnection.prototype = Native.prototype;
  const NativeSocket = window.WebSocket;
  window.__sockets = 0;
  window.WebSocket = function (...args) { window.__sockets += 1; return new NativeSocket(...args); };
  window.WebSocket.prototype = NativeSocket.prototype;
  Object.setPrototypeOf(window.WebSocket, NativeSocket);
})();
"""


def test_answering_turns_the_page_into_the_room(call_browser: Browser, local_stack, browser_log):
    """Answer on the home page: no new page and no new socket, nothing about the call before
    Answer; the address is the room's, a reload rejoins the call, Back returns to the home page."""
    api = local_stack["api"]
    helper = become_helper(api, "hereh")
    customer = sign_up_and_in(api, "herec")

    helper_context = open_person(call_browser, local_stack["site"], timeout_ms=30_000)
    helper_context.add_init_script(MEDIA_WATCH)
    helper_page = browser_log.watch(helper_context.new_page(), "helper")
    sign_in(helper_page, helper.email, PASSWORD, "/index.html")
    wait_until_online(api, helper.tokens["user_id"])
    helper_page.evaluate("() => { window.__samePage = true; }")

    customer_page = browser_log.watch(open_person(call_browser, local_stack["site"], timeout_ms=30_000).new_page(),
                                      "customer")
    sign_in(customer_page, customer.email, PASSWORD, f"/call.html?helper={helper.username}")
    pop_up = helper_page.get_by_role("alertdialog")
    expect(pop_up).to_contain_text(customer.display_name)
    # Ringing: the room is fetched, but no camera and no peer connection until Answer.
    helper_page.wait_for_function("() => document.querySelector('link[rel=modulepreload][href=\"/js/call/room.js\"]')")
    assert helper_page.evaluate("() => [window.__cameraAsks, window.__peerConnections]") == [0, 0]

    pop_up.get_by_role("button", name="Answer").click()
    expect(helper_page).to_have_url(re.compile(r"/call\.html\?call=[0-9a-f]+$"))
    expect(helper_page.get_by_role("heading", level=1)).to_have_text(f"Call with {customer.display_name}")
    expect(pop_up).to_have_count(0)
    assert helper_page.evaluate("() => window.__samePage") is True  # the same document, no page load
    assert helper_page.evaluate("() => window.__sockets") == 1  # and the socket the ring came on
    expect(helper_page.locator("[data-site-footer]")).to_have_count(0)
    expect(helper_page.locator("main")).to_have_count(1)
    expect(helper_page).to_have_title(f"Call with {customer.display_name} — interKanect")
    for page in (helper_page, customer_page):
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", re.compile("negotiating"))
    expect_video_playing(helper_page)
    assert helper_page.evaluate("() => window.__cameraAsks") == 1
    call_address = helper_page.url

    # A reload comes back to the same call, on the room page.
    helper_page.reload()
    expect(helper_page).to_have_url(call_address)
    expect(helper_page.get_by_role("heading", level=1)).to_have_text(f"Call with {customer.display_name}")
    expect(helper_page.get_by_test_id("connection-state")).to_contain_text("Connected")

    # Back leaves the room for the page it was.
    helper_page.go_back()
    expect(helper_page).to_have_url(re.compile(r"/index\.html$"))
    expect(helper_page.locator("[data-site-footer]")).to_have_count(1)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
