"""The notification centre in real Chromium on the whole local stack.

A customer books (and pays for, at the PayPal sandbox) a Helper's time through the API: the
Helper's bell, on a page they had open, counts the notice without a reload (the WebSocket's
`notices` frame) and says so to screen readers; the bell opens /notifications.html, which lists
the booking (unread, with its link); "Mark all as read" clears the list's marks and the bell, in
that tab and in the person's other tab; a notice arriving while the page is open goes on top.
The notification settings save Email off for a category (PUT) and show it after a reload. The
list pages on with "Load more" (notices written into the stack's store) and shows its empty
state; titles and texts with markup in them show as text. Screenshots at 1280 and 390 px go to
/tmp/ui-shots."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import PASSWORD, SignedIn, sign_up_and_in
from tests.support.bookings import book, free_slots
from tests.support.pages import become_helper, open_storefront, wait_until_online

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

ALL_WEEK = [{"day": day, "start": "00:00", "end": "24:00"} for day in range(7)]


def signed_in(page: Page, person: SignedIn, next_path: str) -> None:
    page.goto(f"/sign-in.html?next={requests.utils.quote(next_path, safe='')}")
    page.get_by_label("Email", exact=True).fill(person.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def centre(api: str, person: SignedIn) -> dict:
    answer = requests.get(f"{api}/me/notifications", headers=person.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def seeded(api: str, app_env, person: SignedIn, count: int, *, title: str = "Session booked",
           body: str = "With Sam", ago: int = 3600) -> list[str]:
    """`count` notices of the person's written straight into the stack's store (oldest first, a
    second apart, from `ago` seconds ago), as the centre records them: their ids."""
    from chalicelib.domain import notices as rules

    user_id = requests.get(f"{api}/me", headers=person.auth, timeout=30).json()["user_id"]
    store = app_env.notice_store()
    start = int(time.time()) - ago
    ids = []
    for n in range(count):
        notice = rules.Notice(user_id=user_id, notice_id=uuid.uuid4().hex[:16], at=start + n,
                              kind="booking_confirmed", category="bookings",
                              title=f"{title} {n + 1}" if count > 1 else title,
                              body=body, url="/appointments.html")
        store.add(notice, ttl=None)
        ids.append(notice.notice_id)
    return ids


def test_a_booking_rings_the_bell_live_and_mark_all_as_read_clears_it(local_stack, open_context, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "bellhelper", schedule=ALL_WEEK)  # 15 minutes for $15 (support/pages.py)
    open_storefront(api, helper)
    rules = requests.put(f"{api}/me/booking-rules", headers=helper.auth, timeout=30,
                         json={"lengths": [15], "notice_minutes": 0})
    assert rules.status_code == 200, rules.text
    customer = sign_up_and_in(api, "bellcustomer")
    context = open_context()
    page = browser_log.watch(context.new_page(), "helper")
    signed_in(page, helper, "/index.html")

    bell = page.locator("[data-notice-bell]")
    link = page.get_by_test_id("notice-bell")
    expect(bell).to_have_attribute("data-unread", "0")
    expect(link).to_have_accessible_name("Notifications")
    expect(page.locator("[data-notice-badge]")).to_be_hidden()
    wait_until_online(api, helper.tokens["user_id"])  # the tab's socket is registered: frames reach it
    page.evaluate("window.__sameDocument = true")

    start = free_slots(api, helper, length=15, days=21)[0]["start"]
    booking = book(local_stack, customer, helper, start, length=15)
    # Counted over the socket, in the same document (no reload), and said to screen readers.
    expect(bell).to_have_attribute("data-unread", "1")
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("[data-notice-badge]")).to_have_text("1")
    expect(link).to_have_accessible_name("Notifications, 1 unread notification")
    expect(page.locator("[data-notice-live]")).to_have_text("1 unread notification")
    expect(page.locator("[data-notice-live]")).to_have_attribute("aria-live", "polite")
    shoot(page, "notifications-bell-home")
    expected = centre(api, helper)
    assert expected["unread"] == 1
    notice = expected["notifications"][0]
    assert notice["category"] == "bookings" and notice["read"] is False
    assert notice["url"] == f"/booking.html?id={booking['booking_id']}"

    # A second tab of the Helper's, to see "Mark all as read" reach it too.
    other = browser_log.watch(context.new_page(), "helper's other tab")
    other.goto("/payments.html")
    expect(other.locator("[data-notice-bell]")).to_have_attribute("data-unread", "1")

    link.click()
    page.wait_for_url(re.compile(r"/notifications\.html$"))
    expect(link).to_have_attribute("aria-current", "page")
    items = page.locator("[data-inbox-item]")
    expect(page.locator("[data-inbox-list]")).to_have_attribute("data-inbox-ready", "")
    expect(items).to_have_count(1)
    first = items.first
    expect(first).to_have_attribute("data-inbox-item", notice["id"])
    expect(first).to_have_class(re.compile(r"\bis-unread\b"))
    expect(first.locator(".inbox-category")).to_have_text("Booking")
    expect(first.get_by_role("heading", level=2)).to_have_text(notice["title"])
    expect(first.locator(".inbox-text")).to_have_text(notice["body"])
    expect(first.get_by_role("link", name=notice["title"])).to_have_attribute("href", notice["url"])
    expect(first.locator("time")).to_have_text("just now")
    expect(first.locator("[data-inbox-new]")).to_have_text("New")
    expect(page.locator("[data-inbox-empty]")).to_be_hidden()
    expect(page.locator("[data-inbox-more]")).to_be_hidden()
    shoot(page, "notifications-page-unread")

    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/me/notifications/read")) \
            as marked:
        page.get_by_role("button", name="Mark all as read").click()
    assert marked.value.status == 200 and marked.value.json() == {"unread": 0}
    expect(bell).to_have_attribute("data-unread", "0")
    expect(page.locator("[data-notice-badge]")).to_be_hidden()
    expect(link).to_have_accessible_name("Notifications")
    expect(page.locator("[data-notice-live]")).to_have_text("No unread notifications")
    expect(first).not_to_have_class(re.compile(r"\bis-unread\b"))
    expect(first.locator("[data-inbox-new]")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all as read")).to_be_disabled()
    expect(other.locator("[data-notice-bell]")).to_have_attribute("data-unread", "0")
    assert centre(api, helper)["unread"] == 0
    page.reload()  # the server's word: read, after a reload too
    expect(page.locator("[data-inbox-list]")).to_have_attribute("data-inbox-ready", "")
    expect(page.locator("[data-inbox-item]").first).not_to_have_class(re.compile(r"\bis-unread\b"))
    expect(bell).to_have_attribute("data-unread", "0")
    shoot(page, "notifications-page-read")

    # A notice that comes while the page is open goes on top of the list at once.
    later = free_slots(api, helper, length=15, days=21)[0]["start"]
    book(local_stack, customer, helper, later, length=15)
    expect(page.locator("[data-inbox-item]")).to_have_count(2)
    expect(page.locator("[data-inbox-item]").first).to_have_class(re.compile(r"\bis-unread\b"))
    expect(bell).to_have_attribute("data-unread", "1")
    assert browser_log.unexpected() == []


def test_email_off_for_a_category_is_saved_and_kept_after_a_reload(local_stack, open_context, browser_log):
    api = local_stack["api"]
    person = become_helper(api, "prefs")
    page = browser_log.watch(open_context().new_page(), "person")
    page.goto("/index.html")  # a visitor has no bell
    expect(page.get_by_role("banner").get_by_role("link", name="Sign up")).to_be_visible()
    expect(page.locator("[data-notice-bell]")).to_have_count(0)
    signed_in(page, person, "/become-a-helper.html")  # My page's Call alerts lead to the settings
    page.locator("[data-call-alerts]").get_by_role(
        "link", name="Choose which notifications you get by email and push").click()
    page.wait_for_url(re.compile(r"/notification-settings\.html$"))
    form = page.locator("[data-preferences-form]")
    expect(form).to_have_attribute("data-preferences-ready", "")
    expect(form.locator("[data-preference]")).to_have_count(8)
    bookings = form.get_by_role("group", name="Bookings")
    expect(bookings.get_by_label("Email")).to_be_checked()
    expect(bookings.get_by_label("Push")).to_be_checked()  # the server's default for bookings
    # Push explains itself and offers to turn alerts on here, without asking anything on load.
    alerts = page.locator("[data-call-alerts]")
    expect(alerts).to_be_visible()
    expect(alerts.get_by_role("button", name="Turn on alerts in this browser")).to_be_visible()
    expect(alerts).to_contain_text("only in browsers where you turn them on")
    assert page.evaluate("Notification.permission") == "default"
    shoot(page, "notification-settings")

    bookings.get_by_label("Email").uncheck()
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/me/notification-preferences")) \
            as saved:
        page.get_by_role("button", name="Save settings").click()
    assert saved.value.status == 200
    sent = saved.value.request.post_data_json["categories"]
    assert sent["bookings"] == {"email": False, "push": True} and sent["calls"] == {"email": True, "push": True}
    expect(page.locator("[data-preferences-status]")).to_have_text("Saved.")

    page.reload()
    expect(form).to_have_attribute("data-preferences-ready", "")
    expect(bookings.get_by_label("Email")).not_to_be_checked()
    expect(bookings.get_by_label("Push")).to_be_checked()
    expect(form.get_by_role("group", name="Reviews").get_by_label("Email")).to_be_checked()
    stored = requests.get(f"{api}/me/notification-preferences", headers=person.auth, timeout=30).json()
    by_name = {c["category"]: c for c in stored["categories"]}
    assert (by_name["bookings"]["email"], by_name["bookings"]["push"]) == (False, True)
    assert all(c["email"] for name, c in by_name.items() if name != "bookings")
    assert browser_log.unexpected() == []


def test_the_list_pages_on_shows_its_empty_state_and_shows_markup_as_text(local_stack, app_env, open_context,
                                                                          browser_log):
    api = local_stack["api"]
    person = sign_up_and_in(api, "inbox")
    page = browser_log.watch(open_context().new_page(), "person")
    signed_in(page, person, "/notifications.html")
    expect(page.locator("[data-inbox-list]")).to_have_attribute("data-inbox-ready", "")
    expect(page.locator("[data-inbox-empty]")).to_be_visible()
    expect(page.locator("[data-inbox-empty]")).to_contain_text("No notifications yet.")
    expect(page.get_by_role("button", name="Mark all as read")).to_be_disabled()
    expect(page.locator("[data-inbox-more]")).to_be_hidden()
    shoot(page, "notifications-page-empty")

    markup = '<img src=x onerror="window.__xss = 1">'
    seeded(api, app_env, person, 21, title="Session booked")
    seeded(api, app_env, person, 1, title=markup, body="<b>Sam</b> & <i>co</i>", ago=60)
    page.reload()
    expect(page.locator("[data-inbox-list]")).to_have_attribute("data-inbox-ready", "")
    items = page.locator("[data-inbox-item]")
    expect(items).to_have_count(20)
    expect(page.locator("[data-notice-bell]")).to_have_attribute("data-unread", "22")
    expect(page.locator("[data-notice-badge]")).to_have_text("22")
    newest = items.first
    expect(newest.get_by_role("heading", level=2)).to_have_text(markup)
    expect(newest.locator(".inbox-text")).to_have_text("<b>Sam</b> & <i>co</i>")
    expect(items.nth(1).get_by_role("heading", level=2)).to_have_text("Session booked 21")
    more = page.get_by_role("button", name="Load more")
    expect(more).to_be_visible()
    more.click()
    expect(items).to_have_count(22)
    expect(items.last.get_by_role("heading", level=2)).to_have_text("Session booked 1")
    expect(more).to_be_hidden()
    expect(page.locator("[data-inbox-empty]")).to_be_hidden()
    assert page.locator("[data-inbox-list] img, [data-inbox-list] b, [data-inbox-list] i").count() == 0
    assert page.evaluate("window.__xss") is None
    page.get_by_role("link", name="Notification settings").click()
    page.wait_for_url(re.compile(r"/notification-settings\.html$"))
    assert browser_log.unexpected() == []
