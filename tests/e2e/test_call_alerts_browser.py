"""Call alerts in real Chromium on the local stack: a Helper's My page offers them without asking
for permission on load; the service worker (/sw.js) registers with the whole site as its scope;
a push delivered to it through the DevTools protocol (`ServiceWorker.deliverPushMessage`, as a
push service would deliver one) shows "<caller> is calling you" with the call room's link; a
second push of the same call replaces the first. The My page asks for the browser's permission
on the button's click only, and says so when it is refused. Tapping the notification (`notificationclick`)
cannot be driven in headless Chromium and is not tested here."""
from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.accounts import PASSWORD
from tests.support.pages import become_helper

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return (await registration.getNotifications()).map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                                              data: n.data}));
}"""


def _registration_id(page, cdp, scope: str) -> str:
    """The service worker registration's id, from the DevTools protocol's own event. Playwright's
    sync API hands events over while it talks to the browser: each round trip lets them in."""
    found: list[str] = []

    def updated(event):
        found.extend(r["registrationId"] for r in event["registrations"]
                     if r["scopeURL"] == scope and not r.get("isDeleted"))

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 15
    while not found and time.monotonic() < deadline:
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    assert found, "no service worker registration for the site"
    return found[-1]


def test_a_pushed_ring_shows_who_is_calling_with_the_call_room_link(local_stack, context, page, browser_log):
    site = local_stack["site"].rstrip("/")
    helper = become_helper(local_stack["api"], "alerts")
    context.grant_permissions(["notifications"], origin=site)

    page.goto("/sign-in.html?next=%2Fbecome-a-helper.html")
    page.get_by_label("Email", exact=True).fill(helper.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    panel = page.locator("[data-call-alerts]")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("button", name="Get call alerts when this tab is closed")).to_be_visible()
    # Nothing registered or subscribed until the person asks.
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then((r) => r === undefined)")

    scope = page.evaluate("""async () => {
      await navigator.serviceWorker.register("/sw.js", {scope: "/"});
      return (await navigator.serviceWorker.ready).scope;
    }""")
    assert scope == f"{site}/"
    cdp = context.new_cdp_session(page)
    registration_id = _registration_id(page, cdp, scope)

    ring = {"type": "ring", "call_id": "c0ffee", "caller": "Bob <b>Smith</b>",
            "url": f"{site}/call.html?call=c0ffee&answer=1", "expires_at": 0}
    for _ in range(2):  # the same call pushed twice: one notification
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": site, "registrationId": registration_id,
                                                     "data": json.dumps(ring)})
    page.wait_for_function(f"({NOTIFICATIONS})().then((n) => n.length > 0)")
    [shown] = page.evaluate(NOTIFICATIONS)
    assert shown["title"] == "Bob <b>Smith</b> is calling you"  # text, as the system shows it
    assert shown["tag"] == "ring-c0ffee"
    assert shown["data"]["url"] == f"{site}/call.html?call=c0ffee&answer=1"

    # A payload naming another site's page still opens this site's call room.
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": site, "registrationId": registration_id,
                                                 "data": json.dumps({**ring, "call_id": "other",
                                                                     "url": "https://evil.example/x"})})
    page.wait_for_function(f"({NOTIFICATIONS})().then((n) => n.length > 1)")
    other = next(n for n in page.evaluate(NOTIFICATIONS) if n["tag"] == "ring-other")
    assert other["data"]["url"] == f"{site}/call.html?call=other&answer=1"
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_permission_is_asked_on_the_click_only_and_a_refusal_is_explained(local_stack, page, browser_log):
    helper = become_helper(local_stack["api"], "refuser")
    page.add_init_script("""
      window.__asked = 0;
      const ask = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = (...args) => { window.__asked += 1; return ask(...args); };
    """)
    page.goto("/sign-in.html?next=%2Fbecome-a-helper.html")
    page.get_by_label("Email", exact=True).fill(helper.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    button = page.get_by_role("button", name="Get call alerts when this tab is closed")
    expect(button).to_be_visible()
    assert page.evaluate("window.__asked") == 0  # nothing asked on load
    button.click()
    status = page.locator("[data-call-alerts-status]")
    expect(status).to_have_text(re.compile("blocked|need your permission"))
    assert page.evaluate("window.__asked") == 1
    expect(button).to_be_enabled()
    assert browser_log.unexpected() == []


# Headless Chromium has no push service ("Registration failed - permission denied"), so this
# browser's PushManager is stood in for by one that hands out a subscription as a push service
# would (an https endpoint, a P-256 key and an auth secret): the page's own code, the server's
# checks and the sign-out are real.
FAKE_PUSH_MANAGER = """
(() => {
  let held = null;
  const subscription = (endpoint) => ({
    endpoint,
    toJSON: () => ({endpoint, expirationTime: null, keys: {
      p256dh: "BLlMwmZo6QwbVIA4q_4i1vPiLmwS1dp5EMcj0NIcrrZN-G87K3yEFnflKntH1jC0jrJsVHB-ns9tMS1HEWGCR2o",
      auth: "AAAAAAAAAAAAAAAAAAAAAA"}}),
    unsubscribe: async () => { held = null; localStorage.removeItem("fake-push"); return true; },
  });
  if (localStorage.getItem("fake-push")) { held = subscription(localStorage.getItem("fake-push")); }
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribedWith = options && options.applicationServerKey && options.applicationServerKey.length;
    const endpoint = "https://push.example.com/send/" + Math.random().toString(36).slice(2);
    localStorage.setItem("fake-push", endpoint);
    held = subscription(endpoint);
    return held;
  };
  PushManager.prototype.getSubscription = async function () { return held; };
})();
"""


def test_turning_alerts_on_puts_the_subscription_and_signing_out_forgets_it(local_stack, context, page, browser_log):
    site = local_stack["site"].rstrip("/")
    helper = become_helper(local_stack["api"], "onoff")
    context.grant_permissions(["notifications"], origin=site)
    context.add_init_script(FAKE_PUSH_MANAGER)
    page.goto("/sign-in.html?next=%2Fbecome-a-helper.html")
    page.get_by_label("Email", exact=True).fill(helper.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    with page.expect_response(lambda r: r.request.method == "PUT" and "/me/push-subscriptions" in r.url) as put:
        page.get_by_role("button", name="Get call alerts when this tab is closed").click()
    assert put.value.status == 200 and put.value.json() == {"subscribed": True, "subscriptions": 1}
    assert page.evaluate("window.__subscribedWith") == 65  # the VAPID public key, as bytes
    status = page.locator("[data-call-alerts-status]")
    expect(status).to_have_text("Call alerts are on in this browser.")
    page.reload()  # the page reads the state back, without asking anything
    off = page.get_by_role("button", name="Turn off call alerts in this browser")
    expect(off).to_be_visible()
    expect(off).to_have_attribute("aria-pressed", "true")

    endpoint = page.evaluate("localStorage.getItem('fake-push')")
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/me/push-subscriptions" in r.url) as gone:
        page.get_by_test_id("sign-out").click()
    assert gone.value.json() == {"subscribed": False, "subscriptions": 0}
    assert json.loads(gone.value.request.post_data) == {"endpoint": endpoint}
    page.wait_for_url(f"{site}/index.html")
    assert page.evaluate("localStorage.getItem('fake-push')") is None
    assert browser_log.unexpected() == []
