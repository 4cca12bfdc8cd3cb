"""Helper pages, categories, search and live status in real browsers against the whole local
stack: a Helper builds their page and joins categories through the UI; a visitor (another
browser, not signed in) finds them in both categories and by search, opens their page, sees
them online while the Helper's browser is open and offline once it is closed."""
from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import create_confirmed_account

pytestmark = pytest.mark.e2e

HELPER_ZONE = "Europe/Paris"
VISITOR_ZONE = "America/New_York"
OFFLINE_WITHIN_MS = 20_000  # status polls every 10 s; a closed socket is gone at once
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
    "WjR9awAAAABJRU5ErkJggg==")
REFUSED_REQUEST = r"Failed to load resource: the server responded with a status of 40[0-9]"


def new_helper() -> dict:
    tag = uuid.uuid4().hex[:10]
    return {
        "tag": tag,
        "display_name": f"Pat Plumber {tag[:4]}",
        "username": f"pat-{tag}",
        "email": f"pat-{tag}@example.com",
        "password": "Correct-Horse-42",
        "headline": f"Licensed plumber and maths tutor {tag}",
    }


def sign_in(page: Page, person: dict, next_path: str) -> None:
    page.goto(f"/sign-in.html?next={quote(next_path, safe='')}")
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path.split("?")[0]) + r"$"))
    expect(page.get_by_test_id("signed-in-name")).to_have_text(person["display_name"])


def fill_new_page(page: Page, person: dict) -> None:
    """The editor, as a new Helper fills it in: text, languages, time zone, prices, hours, link."""
    page.get_by_label("Headline", exact=True).fill(person["headline"])
    page.get_by_label("What you offer", exact=True).fill(
        "I fix **leaky taps** over video.\n\n- drains\n- pipes")
    page.get_by_label("Qualifications (optional)").fill("Master plumber since 2004.")
    page.get_by_role("checkbox", name="English").check()
    page.get_by_label("Another language").select_option("sv")
    page.get_by_label("Your time zone").select_option(HELPER_ZONE)
    page.get_by_label("30 minutes", exact=True).select_option("paid")
    page.get_by_label("Price for 30 minutes, in dollars").fill("25.50")
    page.get_by_label("60 minutes", exact=True).select_option("free")
    page.get_by_role("button", name="Add hours").click()  # Monday 09:00-17:00 to start with
    page.get_by_role("button", name="Add a link").click()
    page.get_by_label("Link label").fill("My workshop")
    page.get_by_label("Link address").fill("https://example.com/workshop")


def card_of(page: Page, person: dict):
    return page.get_by_test_id("helper-card").filter(has_text=person["display_name"])


def with_rating(rating: dict, username: str):
    """A route handler passing the API's answer on with `rating` on the card of `username` (a
    new Helper has no reviews; the reviews tests make real ones)."""
    def handle(route):
        answer = route.fetch()
        body = answer.json()
        for card in body.get("helpers", []):
            if card.get("username") == username:
                card["rating"] = rating
        route.fulfill(response=answer, json=body)
    return handle


def next_window(day: int, start: str, end: str, helper_zone: str,
                now: datetime | None = None) -> tuple[datetime, datetime]:
    """The next time a weekly window (in the Helper's zone) happens, or the current one if it
    has not ended: the rule the page applies, computed independently with zoneinfo."""
    helper = ZoneInfo(helper_zone)
    now = (now or datetime.now(timezone.utc)).astimezone(helper)
    for extra in (0, 7):
        date = (now + timedelta(days=(day - now.weekday()) % 7 + extra)).date()
        begins = datetime.combine(date, datetime.strptime(start, "%H:%M").time(), helper)
        ends = (datetime.combine(date + timedelta(days=1), datetime.min.time(), helper)
                if end == "24:00" else
                datetime.combine(date, datetime.strptime(end, "%H:%M").time(), helper))
        if ends > now:
            return begins, ends
    raise AssertionError("unreachable")


def next_window_in(visitor_zone: str, day: int, start: str, end: str, helper_zone: str):
    """The next window as wall-clock times in the visitor's zone: what the page should show."""
    begins, ends = next_window(day, start, end, helper_zone)
    visitor = ZoneInfo(visitor_zone)
    return begins.astimezone(visitor), ends.astimezone(visitor)


def clock(moment: datetime) -> re.Pattern:
    """`3:00 AM` as Chromium's en-US writes it (with a narrow no-break space, or a space)."""
    hour = moment.hour % 12 or 12
    return re.compile(rf"^{hour}:{moment.minute:02d}\s?{'AM' if moment.hour < 12 else 'PM'}$")


def test_visitor_finds_a_new_helper_in_two_categories_and_by_search_and_sees_them_go_offline(
        open_context, browser_log):
    helper = new_helper()
    helper_browser = open_context()
    page = browser_log.watch(helper_browser.new_page(), "helper")
    create_confirmed_account(page, helper)

    # The Helper builds their page through the editor.
    sign_in(page, helper, "/become-a-helper.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your page")
    fill_new_page(page, helper)
    page.get_by_role("button", name="Create my page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")
    expect(page.get_by_role("status").filter(has_text="Your page is live at")).to_contain_text(
        f"/h/{helper['username']}")
    expect(page.locator("[data-page-url]")).to_have_value(re.compile(
        rf"^http://[^/]+/h/{re.escape(helper['username'])}$"))
    # A paid price without a storefront: My page says visitors do not see it yet, and what is left.
    checklist = page.locator("[data-setup-checklist]")
    expect(checklist.locator("[data-paid-hidden]")).to_contain_text("Visitors do not see your paid prices yet")
    expect(checklist.get_by_role("link", name="Set up your storefront", exact=True)).to_have_attribute(
        "href", "/payments.html#getting-paid")
    expect(checklist.locator("[data-done='false']")).to_have_count(3)  # a category, the storefront, a photo

    # ... joins one category in the editor and another from that category's page.
    page.locator("[data-category-toggle='plumbing']").click()  # other tests' categories may be named alike
    expect(page.get_by_role("button", name="Leave Plumbing")).to_be_visible()
    expect(checklist.locator("[data-done='false']")).to_have_count(2)
    expect(page.get_by_text("You are listed in 1 of at most 10 categories.")).to_be_visible()
    page.goto("/category.html?slug=mathematics")
    join = page.get_by_test_id("category-join")
    expect(join).to_have_text("Become A Helper")
    join.click()
    expect(join).to_have_text("Leave this category")
    expect(card_of(page, helper)).to_be_visible()

    # ... and keeps their own page open, which keeps them online.
    page.goto("/become-a-helper.html")
    with page.expect_navigation():
        page.get_by_role("link", name="View my page").click()
    expect(page).to_have_url(re.compile(rf"/h/{re.escape(helper['username'])}$"))

    # A visitor, not signed in, in another browser and time zone.
    visitor_browser = open_context(timezone_id=VISITOR_ZONE)
    visitor = browser_log.watch(visitor_browser.new_page(), "visitor")
    visitor.goto("/categories.html")
    visitor.get_by_role("link", name="Plumbing", exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Plumbing")
    card = card_of(visitor, helper)
    expect(card).to_be_visible()
    expect(card.locator("[data-status-for]")).to_have_text("Online")
    expect(card).to_contain_text(helper["headline"])
    expect(card).to_contain_text("Free")
    expect(card).not_to_contain_text("$25.50")  # shown once payouts can reach the Helper
    expect(card.get_by_test_id("card-rating")).to_have_text("No reviews yet")  # the API's rating is null
    banner = visitor.get_by_role("banner")
    expect(banner.get_by_role("link", name="Become a helper")).to_be_visible()
    expect(visitor.get_by_test_id("category-join")).to_have_attribute(
        "href", "/sign-in.html?next=%2Fcategory.html%3Fslug%3Dplumbing")

    # With a rating, a card shows it, and says it in words to a screen reader.
    visitor.route("**/categories/mathematics?*", with_rating({"average": 5, "count": 1}, helper["username"]))
    visitor.goto("/categories.html")
    visitor.get_by_role("link", name="Mathematics", exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Mathematics")
    expect(card_of(visitor, helper).locator("[data-status-for]")).to_have_text("Online")
    expect(card_of(visitor, helper).get_by_test_id("card-rating")).to_have_text("★ 5.0 · 1 review")
    expect(card_of(visitor, helper).get_by_role("img", name="Rated 5.0 out of 5 from 1 review")).to_be_visible()
    visitor.route("**/search?*", with_rating({"average": 4.8, "count": 126}, helper["username"]))

    search = visitor.get_by_role("banner").get_by_role("searchbox", name="Search helpers")
    search.fill(f"plumb {helper['tag']}")
    search.press("Enter")
    expect(visitor).to_have_url(re.compile(r"/search\.html\?q="))
    expect(visitor.get_by_role("searchbox", name="Search for a skill")).to_have_value(
        f"plumb {helper['tag']}")
    expect(visitor.get_by_test_id("helper-card")).to_have_count(1)
    expect(card_of(visitor, helper).get_by_test_id("card-rating")).to_have_text("★ 4.8 · 126 reviews")
    expect(card_of(visitor, helper).get_by_role("img", name="Rated 4.8 out of 5 from 126 reviews")).to_be_visible()
    card_of(visitor, helper).get_by_role("link", name=helper["display_name"]).click()

    # The Helper's page: live status, hours in the visitor's own time zone, language names.
    expect(visitor).to_have_url(re.compile(rf"/h/{re.escape(helper['username'])}$"))
    status = visitor.get_by_role("main").locator("[data-status-for]")
    expect(status).to_have_text("Online")
    expect(status).to_have_class(re.compile(r"\bstatus-online\b"))
    call_now = visitor.locator("[data-call-now]")
    expect(call_now).to_be_visible()
    expect(visitor.locator("[data-schedule-note]")).to_have_text(
        "Times shown in your time zone (America/New York).")
    begins, ends = next_window_in(VISITOR_ZONE, 0, "09:00", "17:00", HELPER_ZONE)
    row = visitor.locator("[data-day='0']")
    expect(row.locator("th, td").nth(0)).to_have_text(begins.strftime("%A"))
    expect(row.locator("td").nth(0)).to_have_text(clock(begins))
    expect(row.locator("td").nth(1)).to_have_text(clock(ends))
    expect(visitor.locator("[data-language='en']")).to_have_text("English")
    expect(visitor.locator("[data-language='sv']")).to_have_text("Swedish")

    # The Helper closes their browser: the visitor's page shows it without a reload.
    helper_browser.close()
    expect(status).to_have_text("Offline", timeout=OFFLINE_WITHIN_MS)
    expect(status).to_have_class(re.compile(r"\bstatus-offline\b"))
    expect(call_now).to_be_hidden()
    # ... and says when they are usually online, in the visitor's time.
    usually = visitor.locator("[data-usually-online]")
    if begins <= datetime.now(timezone.utc) < ends:
        expect(usually).to_have_text(re.compile(
            rf"^Usually online now, until {clock(ends).pattern[1:-1]} your time\.$"))
    else:
        expect(usually).to_contain_text(f"Usually online next {begins.strftime('%A')}")
        expect(usually).to_contain_text(re.compile(clock(ends).pattern[1:-1]))
        expect(usually).to_contain_text("your time.")

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_page_editor_puts_errors_beside_the_price_the_hours_and_the_link_they_are_about(
        page: Page, browser_log):
    helper = new_helper()
    create_confirmed_account(page, helper)
    sign_in(page, helper, "/become-a-helper.html")
    fill_new_page(page, helper)
    save = page.get_by_role("button", name="Create my page")

    amount = page.get_by_label("Price for 30 minutes, in dollars")
    amount.fill("twenty")  # checked here, before anything is sent
    save.click()
    expect(page.locator("#price-30-error")).to_contain_text("Enter a price in dollars")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    amount.fill("25")

    url = page.get_by_label("Link address")
    url.fill("not a web address")  # the server refuses it as `links.0.url`
    save.click()
    expect(page.locator("[data-link-row] .row-error")).to_contain_text("http")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(url).to_be_focused()
    expect(page.locator("[data-page-form] [role=alert]")).to_contain_text("Your page was not saved")
    url.fill("https://example.com")

    page.get_by_role("button", name="Add hours").click()  # Tuesday, same hours: no overlap
    page.locator("[data-schedule-row]").nth(1).get_by_label("Day").select_option("Monday")
    save.click()  # two Monday windows overlap: the server names `schedule`
    expect(page.locator("#schedule-error")).to_contain_text("overlap")
    page.get_by_role("button", name="Remove hours 2").click()

    save.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")
    expect(page.get_by_label("Price for 30 minutes, in dollars")).to_have_value("25.00")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []


def test_helper_uploads_a_photo_straight_to_storage_and_it_shows_on_their_page(
        page: Page, browser_log):
    helper = new_helper()
    create_confirmed_account(page, helper)
    sign_in(page, helper, "/become-a-helper.html")
    expect(page.get_by_text("Save your page first, then add a photo.")).to_be_visible()
    fill_new_page(page, helper)
    page.get_by_role("button", name="Create my page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")

    # The browser posts the form to the bucket, which redirects back with the key.
    with page.expect_navigation(url=re.compile(r"/become-a-helper\.html\?avatar=")):
        page.locator("#avatar-file").set_input_files(files=[
            {"name": "me.png", "mimeType": "image/png", "buffer": ONE_PIXEL_PNG}])
    expect(page.get_by_role("status").filter(has_text="Your new photo is on your page.")
           ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/become-a-helper\.html$"))  # the key is not kept
    photo = page.locator("[data-avatar-preview] img")
    expect(photo).to_have_attribute("src", re.compile(r"^/media/avatars/.+\.webp$"))  # redrawn
    src = photo.get_attribute("src")
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 1",
                           arg=photo.element_handle())

    page.goto(f"/h/{helper['username']}")
    expect(page.get_by_role("main").locator("img").first).to_have_attribute("src", src)
    expect(page.get_by_test_id("header-avatar")).to_have_attribute("src", src)  # the header shows it too
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_visitor_opening_the_page_editor_is_sent_to_sign_in_and_comes_back(page: Page):
    page.goto("/become-a-helper.html?join=plumbing")
    expect(page).to_have_url(re.compile(
        r"/sign-in\.html\?next=%2Fbecome-a-helper\.html%3Fjoin%3Dplumbing$"))


@pytest.mark.parametrize("path, heading", [
    ("/categories.html", "Help categories"),
    ("/category.html?slug=plumbing", "Plumbing"),
    ("/search.html", "Search helpers"),
    ("/search.html?q=zzzz-nobody", "Search helpers"),
])
def test_directory_pages_have_landmarks_and_load_cleanly_under_the_csp(
        page: Page, browser_log, path: str, heading: str):
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("search", name="Search helpers")).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_be_visible()
    expect(page.locator("[data-categories-status], [data-helpers-status], [data-search-status]")
           .first).not_to_have_text(re.compile("Loading"))
    assert browser_log.unexpected() == []


def test_home_categories_link_to_their_category_pages(page: Page):
    page.goto("/index.html")
    teaser = page.locator("#categories")
    for name, slug in [("Plumbing", "plumbing"), ("Mathematics", "mathematics"),
                       ("Music lessons", "music-lessons")]:
        expect(teaser.get_by_role("link", name=re.compile(name))).to_have_attribute(
            "href", f"/category.html?slug={slug}")
    teaser.get_by_role("link", name="Browse all categories").click()
    expect(page.get_by_role("heading", level=2, name="Home & DIY")).to_be_visible()


@pytest.mark.parametrize("now, day, start, end, zone", [
    # Paris springs forward at 02:00 on Sunday 29 March 2026: a window across the gap.
    ("2026-03-28T12:00:00+00:00", 6, "01:00", "04:00", "Europe/Paris"),
    # New York has changed (8 March) and Paris has not yet: five hours apart, not six.
    ("2026-03-10T12:00:00+00:00", 0, "09:00", "17:00", "Europe/Paris"),
    # Late on the window's own day: this week's window is over, so next week's.
    ("2026-11-23T18:00:00+00:00", 0, "09:00", "17:00", "Europe/Paris"),
    # Still inside today's window: today's.
    ("2026-11-23T15:00:00+00:00", 0, "09:00", "17:00", "Europe/Paris"),
    # A window ending at midnight, east of UTC.
    ("2026-11-20T00:00:00+00:00", 4, "20:00", "24:00", "Asia/Kolkata"),
    # New York falls back at 02:00 on Sunday 1 November 2026.
    ("2026-10-31T12:00:00+00:00", 6, "03:00", "05:00", "America/New_York"),
])
def test_weekly_hours_are_placed_in_time_across_daylight_saving_changes(
        page: Page, now: str, day: int, start: str, end: str, zone: str):
    page.goto("/index.html")
    moment = datetime.fromisoformat(now)
    found = page.evaluate(
        "async ([window, now]) => (await import('/js/weekly-time.js')).nextOccurrence(window, now)",
        [{"day": day, "start": start, "end": end, "timeZone": zone}, moment.timestamp() * 1000])
    begins, ends = next_window(day, start, end, zone, moment)
    assert found == {"start": begins.timestamp() * 1000, "end": ends.timestamp() * 1000}
