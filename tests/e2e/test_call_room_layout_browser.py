"""The call room as a call app, on a desktop window (1280x860) and a phone (390x844), in two real
Chromium browsers on the whole local stack: the room fills the window without a page scroll,
every action a phase needs (End, Accept, Pay, Chat) is on screen, the controls answer their
keyboard shortcuts (not while typing), your own picture moves between corners, an unread badge
counts chat messages out of view, ending a paid session asks first, and afterwards both sides see
a summary: the customer what they paid and the receipt, the Helper their share and earnings.

With ROOM_SHOTS=<folder> set, each phase is also saved as a screenshot there, to look at."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.accounts import sign_up_and_in
from tests.support.call_browser import expect_video_playing
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import answered_call, propose

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("ROOM_SHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def expect_on_screen(page: Page, target: Locator) -> None:
    """`target` is visible, wholly inside the window with the page not scrolled, and nothing
    covers its middle (a tap there reaches it)."""
    expect(target).to_be_visible()
    box = target.evaluate("""(el) => { const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return {top: r.top, left: r.left, bottom: r.bottom, right: r.right,
              width: innerWidth, height: innerHeight, scrollY: scrollY,
              reachable: Boolean(hit && (hit === el || el.contains(hit)))}; }""")
    assert box["scrollY"] == 0
    assert 0 <= box["top"] and box["bottom"] <= box["height"], box
    assert 0 <= box["left"] and box["right"] <= box["width"], box
    assert box["reachable"], box


def expect_no_page_scroll(page: Page) -> None:
    sizes = page.evaluate("() => [document.scrollingElement.scrollHeight, innerHeight,"
                          " document.scrollingElement.scrollWidth, innerWidth]")
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes


def end_button(page: Page) -> Locator:
    return page.get_by_test_id("end-call")


def chat_control(page: Page) -> Locator:
    return page.get_by_test_id("panel-toggle")


def panel_open(page: Page) -> bool:
    return page.locator("[data-room]").get_attribute("data-panel") == "open"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_paid_call_fits_the_window_and_ends_with_a_summary_on_both_sides(
        call_browser: Browser, local_stack, browser_log, size):
    label = "desktop" if size == DESKTOP else "phone"
    api = local_stack["api"]
    helper = become_helper(api, f"layout{label}", prices={"15": 2500, "30": None, "60": None})
    open_storefront(api, helper)
    customer = sign_up_and_in(api, f"layoutcaller{label}")

    def while_ringing(page: Page) -> None:
        expect(end_button(page)).to_be_enabled()
        expect_on_screen(page, end_button(page))
        expect_no_page_scroll(page)
        shot(page, f"{label}-1-ringing-caller")

    rooms = answered_call(call_browser, local_stack, helper, customer, browser_log, viewport=size,
                          on_ringing=while_ringing)
    for page in rooms.both:
        expect_video_playing(page)

    # Negotiating: the Helper's Propose and the End are on screen, with no page scroll.
    negotiation = rooms.helper.get_by_test_id("negotiation")
    expect_on_screen(rooms.helper, negotiation.get_by_role("button", name="Propose terms"))
    for page in rooms.both:
        expect_on_screen(page, end_button(page))
        expect_on_screen(page, chat_control(page))
        expect_no_page_scroll(page)
    shot(rooms.helper, f"{label}-2-negotiating-helper")
    # Price and minutes side by side stand level, whatever the length of their hints.
    price, minutes = (negotiation.get_by_label(name, exact=True).bounding_box() for name in ("Price", "Minutes"))
    assert abs(price["y"] - minutes["y"]) < 1 and abs(price["height"] - minutes["height"]) < 1
    propose(rooms.helper, dollars="25", minutes=15)

    # The customer's Accept and pay is on screen, over the video.
    accept = rooms.customer.get_by_test_id("accept-terms")
    expect(accept).to_have_text("Accept and pay $25.00")
    expect_on_screen(rooms.customer, accept)
    expect_on_screen(rooms.customer, end_button(rooms.customer))
    expect_no_page_scroll(rooms.customer)
    shot(rooms.customer, f"{label}-3-terms-caller")

    # Paying: the PayPal window opens from the click; the room waits with Pay and End on screen.
    rooms.customer.evaluate("window.open = () => null")  # a blocked pop-up: the box offers the link
    accept.click()
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "awaiting_payment")
        expect_on_screen(page, end_button(page))
        expect_no_page_scroll(page)
    pay = rooms.customer.get_by_test_id("payment-box").get_by_role("link", name="Pay with PayPal")
    expect_on_screen(rooms.customer, pay)
    shot(rooms.customer, f"{label}-4-paying-caller")
    shot(rooms.helper, f"{label}-4-paying-helper")
    with rooms.customer.expect_popup() as opened:
        pay.click()
    paypal = opened.value
    paypal.get_by_role("button", name="Approve and pay").click()
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "in_session")
        expect(page.get_by_test_id("phase-countdown")).to_be_visible()
        expect_on_screen(page, end_button(page))
        expect_on_screen(page, chat_control(page))
        expect_no_page_scroll(page)
    expect_video_playing(rooms.customer)
    shot(rooms.customer, f"{label}-5-session-caller")
    shot(rooms.helper, f"{label}-5-session-helper")

    customer = rooms.customer
    # Shortcuts: M mutes and unmutes, V the camera; C opens and closes the panel.
    mic = customer.get_by_role("button", name="Mute")
    customer.locator("body").press("m")
    expect(mic).to_have_attribute("aria-pressed", "true")
    customer.locator("body").press("m")
    expect(mic).to_have_attribute("aria-pressed", "false")
    customer.locator("body").press("v")
    expect(customer.get_by_role("button", name="Camera off")).to_have_attribute("aria-pressed", "true")
    customer.locator("body").press("v")
    expect(customer.get_by_role("button", name="Camera off")).to_have_attribute("aria-pressed", "false")
    was_open = panel_open(customer)
    assert was_open == (size == DESKTOP)  # a side panel on a desktop, a closed sheet on a phone
    customer.locator("body").press("c")
    expect(customer.locator("[data-room]")).to_have_attribute("data-panel", "closed" if was_open else "open")
    if not panel_open(customer):
        customer.locator("body").press("c")
    expect(chat_control(customer)).to_have_attribute("aria-pressed", "true")
    # Typing in the chat does not trigger them.
    message = customer.get_by_role("textbox", name="Message")
    expect(message).to_be_enabled()
    message.fill("")
    message.press_sequentially("mvc")
    expect(mic).to_have_attribute("aria-pressed", "false")
    expect(customer.locator("[data-room]")).to_have_attribute("data-panel", "open")
    expect_on_screen(customer, message)
    shot(customer, f"{label}-6-chat-open-caller")
    message.fill("")
    chat_control(customer).click()  # closed again
    expect(customer.locator("[data-room]")).to_have_attribute("data-panel", "closed")
    expect(chat_control(customer)).to_have_attribute("aria-pressed", "false")

    # The Helper writes while the customer's panel is closed: a badge counts it on the Chat control.
    if not panel_open(rooms.helper):
        chat_control(rooms.helper).click()
    helper_message = rooms.helper.get_by_role("textbox", name="Message")
    expect(helper_message).to_be_enabled()
    helper_message.fill("Can you show me the leak?")
    helper_message.press("Enter")
    badge = customer.get_by_test_id("unread-badge")
    expect(badge).to_have_text("1")
    expect(chat_control(customer)).to_have_accessible_name(re.compile("Chat, 1 unread"))
    shot(customer, f"{label}-7-unread-caller")
    chat_control(customer).click()
    expect(customer.locator("[data-tool-panel='chat'] .chat-log")).to_contain_text("Can you show me the leak?")
    expect(badge).to_be_hidden()
    chat_control(customer).click()

    # The verification code is one tap away, in the Info tab.
    customer.get_by_role("button", name="Verification code").click()
    code = customer.get_by_test_id("verification-code")
    expect(code).to_be_visible()
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4} \d{4}$"))
    expect(customer.get_by_test_id("shortcuts")).to_contain_text("End the call (asks first)")
    shot(customer, f"{label}-8-info-caller")
    customer.get_by_role("button", name="Verification code").click()
    expect(customer.locator("[data-room]")).to_have_attribute("data-panel", "closed")

    # Your own picture moves: dragged to the other side, then with the arrow keys.
    tile = customer.locator("[data-local-tile]")
    start = tile.get_attribute("data-corner")
    box = tile.bounding_box()
    customer.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    customer.mouse.down()
    customer.mouse.move(size["width"] * 0.15, box["y"] + box["height"] / 2, steps=8)
    customer.mouse.up()
    vertical = start.split("-")[0]
    expect(tile).to_have_attribute("data-corner", f"{vertical}-left")
    tile.focus()
    tile.press("ArrowRight")
    expect(tile).to_have_attribute("data-corner", f"{vertical}-right")
    tile.press("ArrowUp")
    expect(tile).to_have_attribute("data-corner", "top-right")
    expect_on_screen(customer, tile)

    # The Helper's E asks first; Escape keeps talking.
    rooms.helper.evaluate("document.activeElement.blur()")  # out of the chat box
    rooms.helper.keyboard.press("e")
    helper_dialog = rooms.helper.get_by_role("dialog", name="End the call?")
    expect(helper_dialog).to_be_visible()
    expect(helper_dialog).to_contain_text("of paid time left")
    rooms.helper.keyboard.press("Escape")
    expect(helper_dialog).to_be_hidden()

    # Ending with paid time left asks first: Keep talking keeps the call; End call ends it.
    end_button(customer).click()
    dialog = customer.get_by_role("dialog", name="End the call?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(re.compile(r"1[45]:\d\d of paid time left"))
    shot(customer, f"{label}-9-confirm-end-caller")
    dialog.get_by_role("button", name="Keep talking").click()
    expect(dialog).to_be_hidden()
    expect(customer.locator("[data-room]")).to_have_attribute("data-phase", "in_session")
    end_button(customer).click()
    dialog.get_by_role("button", name="End call").click()

    # The summary, on both sides.
    for page in rooms.both:
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "ended")
        expect(page.get_by_test_id("call-summary")).to_be_visible()
        expect(page.get_by_test_id("call-summary")).to_contain_text("15 minutes for $25.00")
    customer_summary = customer.get_by_test_id("call-summary")
    expect(customer_summary).to_contain_text(re.compile(r"You paid\s*\$25\.00"))
    expect(customer.get_by_test_id("summary-link")).to_have_attribute("href", "/payments.html")
    expect(customer.get_by_role("link", name="Find more help")).to_be_visible()
    expect(customer.get_by_test_id("rating-prompt")).to_be_visible()
    helper_summary = rooms.helper.get_by_test_id("call-summary")
    expect(helper_summary).to_contain_text(re.compile(r"Paid by the caller\s*\$25\.00"))
    expect(helper_summary).to_contain_text(re.compile(r"Your share\s*\$\d+\.\d\d"))
    share = helper_summary.locator(".is-total dd").inner_text()
    assert 0 < float(share.lstrip("$")) < 25
    expect(rooms.helper.get_by_test_id("summary-link")).to_have_attribute("href", "/earnings.html")
    expect(rooms.helper.get_by_role("link", name="Find more help")).to_have_count(0)
    expect(rooms.helper.get_by_test_id("rating-prompt")).to_have_count(0)
    shot(customer, f"{label}-10-summary-caller")
    shot(rooms.helper, f"{label}-10-summary-helper")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
