"""Notices in real Chromium on the local stack. A notice pushed to the service worker (through the
DevTools protocol's `ServiceWorker.deliverPushMessage`, as a push service would deliver it) shows
its title and body and keeps its page's link (never another site's). A "Notify me" email's footer
link opens /unsubscribe.html?kind=notices: the page says which category it stops, one press
stops it, and the person's preferences say so. Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import html
import json
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.e2e.test_call_alerts_browser import NOTIFICATIONS, _registration_id
from tests.support.accounts import sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, wait_until_online

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


def test_a_pushed_notice_shows_its_title_and_body_and_keeps_its_page(local_stack, context, page, browser_log):
    site = local_stack["site"].rstrip("/")
    context.grant_permissions(["notifications"], origin=site)
    page.goto("/")
    scope = page.evaluate("""async () => {
      await navigator.serviceWorker.register("/sw.js", {scope: "/"});
      return (await navigator.serviceWorker.ready).scope;
    }""")
    assert scope == f"{site}/"
    cdp = context.new_cdp_session(page)
    registration_id = _registration_id(page, cdp, scope)
    notice = {"type": "notice", "id": "n1", "kind": "booking_reminder", "category": "bookings",
              "title": "In an hour: 30 minutes with Ada <b>L</b>", "body": "With Ada L, Tuesday 10:00",
              "url": f"{site}/booking.html?id=b1", "unread": 3}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": site, "registrationId": registration_id,
                                                 "data": json.dumps(notice)})
    page.wait_for_function(f"({NOTIFICATIONS})().then((n) => n.length > 0)")
    [shown] = page.evaluate(NOTIFICATIONS)
    assert (shown["title"], shown["body"], shown["tag"]) == (notice["title"], notice["body"], "notice-n1")
    assert shown["data"]["url"] == f"{site}/booking.html?id=b1"

    cdp.send("ServiceWorker.deliverPushMessage", {"origin": site, "registrationId": registration_id,
                                                 "data": json.dumps({**notice, "id": "n2",
                                                                     "url": "https://evil.example/x"})})
    page.wait_for_function(f"({NOTIFICATIONS})().then((n) => n.length > 1)")
    other = next(n for n in page.evaluate(NOTIFICATIONS) if n["tag"] == "notice-n2")
    assert other["data"]["url"] == f"{site}/notifications.html"
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def _footer_link(local_stack: dict, person, subject: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in emails_to(local_stack["aws"], person.email) if subject in (m.get("subject") or "")]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found, f"no email {subject!r}"
    link = re.search(r'href="([^"]*/unsubscribe\.html\?kind=notices[^"]*)"', found[0]["html"])
    assert link, found[0]["html"]
    return html.unescape(link.group(1))


def test_a_notice_emails_footer_link_stops_that_category_in_one_press(local_stack, page, browser_log):
    from websockets.sync.client import connect

    api = local_stack["api"]
    helper = become_helper(api, "footer")
    name = requests.get(f"{api}/me/page", headers=helper.auth, timeout=30).json()["display_name"]
    fan = sign_up_and_in(api, "footfan")
    assert requests.put(f"{api}/helpers/{helper.username}/notify-me", headers=fan.auth, timeout=30).ok
    with connect(local_stack["websocket"], subprotocols=["interkanect", helper.access_token], open_timeout=30):
        wait_until_online(api, helper.tokens["user_id"])
        link = _footer_link(local_stack, fan, f"{name} is online now")
    assert link.startswith(f"{local_stack['site'].rstrip('/')}/unsubscribe.html?kind=notices&token=")

    page.goto(link)
    status = page.locator("[data-unsubscribe-status]")
    expect(status).to_have_text("Stop the emails about \u201cNotify me\u201d?")
    shoot(page, "unsubscribe-notices")
    page.get_by_role("button", name="Stop the emails").click()
    expect(status).to_have_text("Done: no more emails about \u201cNotify me\u201d.")
    expect(page.locator("[data-unsubscribe-after-notices]")).to_be_visible()
    expect(page.locator("[data-unsubscribe-after]")).to_be_hidden()
    prefs = requests.get(f"{api}/me/notification-preferences", headers=fan.auth, timeout=30).json()["categories"]
    alerts = next(c for c in prefs if c["category"] == "alerts")
    assert (alerts["email"], alerts["push"]) == (False, True)

    page.reload()  # the link again: already stopped
    expect(status).to_have_text("Done: no more emails about \u201cNotify me\u201d.")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []
