"""Money on the local stack for browser tests: the local PayPal sandbox over HTTP (its REST API
with a bearer token, and its `/sandbox/...` controls), a Helper on the upgraded plan, an ops user,
a paid call that already ended, and two people in the call room."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import boto3
import requests
from playwright.sync_api import Browser, Error, Page, expect

from tests.support.accounts import PASSWORD, SignedIn, sign_in, sign_up_and_in
from tests.support.call_browser import answer_from_pop_up, open_person
from tests.support.call_browser import sign_in as sign_in_browser
from tests.support.calls import Peer, agree_terms
from tests.support.pages import wait_until_online


def eventually(check, timeout: float = 30.0, interval: float = 0.2):
    """What `check` returns once it is truthy, or its last answer after `timeout` seconds
    (webhooks arrive on PayPal's schedule)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(interval)


def order_id_of(payment: dict) -> str:
    """The PayPal order behind a payment: its approval link's `token`."""
    found = re.search(r"[?&]token=([^&]+)", payment["approve_url"] or "")
    assert found, payment
    return found.group(1)


def paypal_token(local_stack: dict) -> str:
    answer = requests.post(f"{local_stack['paypal']}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                           auth=(local_stack["paypal_client_id"], local_stack["paypal_client_secret"]), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def paypal_get(local_stack: dict, path: str) -> dict:
    """A GET on the sandbox's PayPal REST API, as the merchant."""
    answer = requests.get(f"{local_stack['paypal']}{path}", timeout=30,
                          headers={"Authorization": f"Bearer {paypal_token(local_stack)}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def approve_in_sandbox(local_stack: dict, payment: dict) -> None:
    """The payer approves at PayPal, without the page (the sandbox's control route)."""
    answer = requests.post(f"{local_stack['paypal']}/sandbox/orders/{order_id_of(payment)}/approve", timeout=30)
    assert answer.status_code in (200, 201), answer.text


def events_about(local_stack: dict, payment: dict, event_type: str | None = None) -> list[dict]:
    """The sandbox's webhook events about one payment (its order, its capture and the refunds of
    that capture), so that a test reads its own events and not every other test's."""
    answer = requests.get(f"{local_stack['paypal']}/sandbox/webhooks/events", timeout=30)
    assert answer.status_code == 200, answer.text
    events, order_id = answer.json()["events"], order_id_of(payment)

    def up(resource: dict) -> str:
        return next((link["href"] for link in resource.get("links", []) if link.get("rel") == "up"), "")

    captures = {e["resource"]["id"] for e in events if e["event_type"].startswith("PAYMENT.CAPTURE.")
                and (e["resource"].get("custom_id") == payment["payment_id"] or up(e["resource"]).endswith(
                    f"/orders/{order_id}"))}
    mine = [e for e in events if e["resource"].get("id") == order_id or e["resource"].get("id") in captures
            or up(e["resource"]).rpartition("/captures/")[2] in captures]
    return [e for e in mine if event_type in (None, e["event_type"])]


def settled_deliveries(local_stack: dict, event_ids: list[str]) -> list[dict] | None:
    """The deliveries of these events once none is pending (None while one is)."""
    found: list[dict] = []
    for event_id in event_ids:
        answer = requests.get(f"{local_stack['paypal']}/sandbox/webhooks/deliveries", params={"event_id": event_id},
                              timeout=30)
        assert answer.status_code == 200, answer.text
        found += answer.json()["deliveries"]
    return None if any(d["status"] == "PENDING" for d in found) else found


def complete(api: str, payer: SignedIn, payment: dict) -> dict:
    answer = requests.post(f"{api}/payments/{payment['payment_id']}/complete", headers=payer.auth, timeout=60)
    assert answer.status_code == 200 and answer.json()["state"] == "captured", answer.text
    return answer.json()


def capture_of(local_stack: dict, payment: dict) -> dict:
    """The sandbox's capture of a paid payment (found through its order)."""
    order = paypal_get(local_stack, f"/v2/checkout/orders/{order_id_of(payment)}")
    [capture] = order["purchase_units"][0]["payments"]["captures"]
    return paypal_get(local_stack, f"/v2/payments/captures/{capture['id']}")


def cents(value: str) -> int:
    """PayPal's "25.00" as integer cents, without floating point."""
    whole, _, fraction = value.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def upgraded_helper(local_stack: dict, helper: SignedIn) -> dict:
    """Puts `helper` on the upgraded plan through the API and the sandbox, as a payment would."""
    api = local_stack["api"]
    answer = requests.post(f"{api}/me/plan/upgrade", headers=helper.auth, timeout=30)
    assert answer.status_code == 201, answer.text
    payment = answer.json()
    approve_in_sandbox(local_stack, payment)
    complete(api, helper, payment)
    plan = requests.get(f"{api}/me/plan", headers=helper.auth, timeout=30).json()
    assert plan["plan"] == "upgraded", plan
    return plan


def ops_person(local_stack: dict, prefix: str = "opsdesk") -> SignedIn:
    """Someone in the Cognito `ops` group, signed in again so that the token carries it."""
    person = sign_up_and_in(local_stack["api"], prefix)
    cognito = boto3.client("cognito-idp", endpoint_url=local_stack["aws"], region_name=local_stack["region"],
                           aws_access_key_id="local", aws_secret_access_key="local")
    cognito.admin_add_user_to_group(UserPoolId=local_stack["user_pool_id"], Username=person.email, GroupName="ops")
    person = sign_in(local_stack["api"], person)
    me = requests.get(f"{local_stack['api']}/me", headers=person.auth, timeout=30).json()
    assert "ops" in me["roles"], me
    return person


def paid_call_that_ended(local_stack: dict, helper: SignedIn, caller: SignedIn, *, price_cents: int = 2500,
                         minutes: int = 15) -> dict:
    """A call whose caller paid `price_cents` for a session (over the WebSocket, the API and the
    sandbox), then hung up: its payment, captured and refundable."""
    api = local_stack["api"]
    helper_tab, caller_tab = Peer(local_stack, helper), Peer(local_stack, caller)
    try:
        call_id = agree_terms(helper_tab, caller_tab, helper, price_cents=price_cents, minutes=minutes)
        answer = requests.post(f"{api}/calls/{call_id}/payment", headers=caller.auth, timeout=30)
        assert answer.status_code == 201, answer.text
        payment = answer.json()
        approve_in_sandbox(local_stack, payment)
        complete(api, caller, payment)
        caller_tab.call_state("in_session")
        caller_tab.send(action="end", call_id=call_id)
        helper_tab.call_state("ended")
    finally:
        helper_tab.close()
        caller_tab.close()
    return payment


@dataclass
class CallRooms:
    """Both sides of a call answered in the call room: the Helper's page and the customer's."""

    helper: Page
    customer: Page

    @property
    def both(self) -> tuple[Page, Page]:
        return self.helper, self.customer


def answered_call(call_browser: Browser, local_stack: dict, helper: SignedIn, customer: SignedIn,
                  browser_log, *, viewport: dict | None = None, on_ringing=None) -> CallRooms:
    """The Helper online with the site open, the customer calling from the call room, the Helper
    answering from the ringing pop-up; returns once both rooms negotiate. Both windows are
    `viewport` in size; `on_ringing(customer_page)` runs while the call rings."""
    site = local_stack["site"]
    helper_page = browser_log.watch(open_person(call_browser, site, timeout_ms=30_000, viewport=viewport).new_page(),
                                    "helper")
    sign_in_browser(helper_page, helper.email, PASSWORD, "/index.html")
    wait_until_online(local_stack["api"], helper.tokens["user_id"], timeout=30)
    customer_page = browser_log.watch(
        open_person(call_browser, site, timeout_ms=30_000, viewport=viewport).new_page(), "customer")
    sign_in_browser(customer_page, customer.email, PASSWORD, f"/call.html?helper={helper.username}")
    expect(customer_page.locator("[data-room]")).to_have_attribute("data-phase", "ringing")
    if on_ringing:
        on_ringing(customer_page)
    answer_from_pop_up(helper_page, customer.display_name)
    for page in (helper_page, customer_page):
        expect(page.locator("[data-room]")).to_have_attribute("data-phase", "negotiating")
    return CallRooms(helper=helper_page, customer=customer_page)


def propose(helper_page: Page, *, dollars: str, minutes: int) -> None:
    """The Helper enters terms and proposes them."""
    terms = helper_page.get_by_test_id("negotiation")
    terms.get_by_label("Price", exact=True).fill(dollars)
    terms.get_by_label("Minutes", exact=True).fill(str(minutes))
    terms.get_by_role("button", name=re.compile(r"^(Propose|Revise) terms$")).click()


LOCAL_TRACKS_ENABLED = """(enabled) => {
  const stream = document.querySelector("[data-testid='local-video']").srcObject;
  return Boolean(stream) && stream.getTracks().length > 0 && stream.getTracks().every((t) => t.enabled === enabled);
}"""


def expect_local_media(page: Page, *, sending: bool) -> None:
    """Waits until every local track is enabled (`sending`) or every one is paused."""
    page.wait_for_function(LOCAL_TRACKS_ENABLED, arg=sending, timeout=30_000)


CHECKOUT = re.compile(r"/checkoutnow\?token=")  # the sandbox's approval page


def accept_and_pay(customer: Page, label: str) -> Page:
    """The customer accepts paid terms: the PayPal window opens from the click, at the sandbox's
    approval page."""
    accept = customer.get_by_test_id("negotiation").get_by_role("button", name=label)
    expect(accept).to_be_enabled()
    with customer.expect_popup() as opened:
        accept.click()
    paypal = opened.value
    paypal.set_default_timeout(30_000)
    paypal.wait_for_url(CHECKOUT, timeout=30_000)
    return paypal


def wait_until_closed(window: Page, timeout_ms: int = 60_000) -> None:
    """The PayPal window closes itself once the return page has finished the payment."""
    if window.is_closed():
        return
    try:
        window.wait_for_event("close", timeout=timeout_ms)
    except Error:
        if not window.is_closed():
            raise
