"""Accounts in a real browser: sign up, confirm, sign in, stay signed in, sign out — against the
whole local stack, with the server's strict CSP and no console errors along the way."""
from __future__ import annotations

import re
import time
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import CODE, api_url, create_confirmed_account

pytestmark = pytest.mark.e2e

SESSION_KEY = "interkanect.session"
PHONE = {"width": 390, "height": 844}
# A refused request is logged by Chromium as a console error; these are the expected ones.
REFUSED_REQUEST = r"Failed to load resource: the server responded with a status of 40[0-3]"


def new_person() -> dict:
    tag = uuid.uuid4().hex[:12]
    return {
        "display_name": f"Ada Tester {tag[:4]}",
        "username": f"ada-{tag}",
        "email": f"ada-{tag}@example.com",
        "password": "Correct-Horse-42",
    }


def sign_in_through_form(page: Page, person: dict, *, password: str | None = None,
                         next_path: str | None = None) -> None:
    page.goto("/sign-in.html" + (f"?next={quote(next_path, safe='')}" if next_path else ""))
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(password or person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()


def fill_sign_up_form(page: Page, person: dict) -> None:
    """Fills the sign-up form the page shows with `person` and sends it."""
    page.get_by_label("Display name", exact=True).fill(person["display_name"])
    page.get_by_label("Username", exact=True).fill(person["username"])
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("button", name="Create account").click()


def sign_in_and_land_home(page: Page, person: dict) -> None:
    """Signs in and waits for the home page, so later page scripts run on a settled page."""
    sign_in_through_form(page, person)
    page.wait_for_url(lambda url: "/sign-in.html" not in url)
    page.wait_for_load_state()
    expect(page.get_by_test_id("signed-in-name")).to_have_text(person["display_name"])


def stored_session(page: Page) -> dict | None:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{SESSION_KEY}'))")


def tamper_with_session(page: Page, **changes) -> None:
    page.evaluate("([key, changes]) => localStorage.setItem(key, JSON.stringify("
                  "{...JSON.parse(localStorage.getItem(key)), ...changes}))", [SESSION_KEY, changes])


def header_sign_in_link(page: Page):
    return page.get_by_role("banner").get_by_role("link", name="Sign in", exact=True)


def test_visitor_signs_up_confirms_signs_in_stays_signed_in_and_signs_out(
        page: Page, browser_log):
    person = new_person()

    response = page.goto("/index.html")
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), \
        "the site must be served with its strict CSP for this test to mean anything"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Live help from real people, over video")
    expect(header_sign_in_link(page)).to_be_visible()

    page.get_by_role("banner").get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-up\.html$"))
    page.get_by_label("Display name", exact=True).fill(person["display_name"])
    page.get_by_label("Username", exact=True).fill(person["username"])
    expect(page.locator("[data-username-preview]")).to_have_text(person["username"])
    page.get_by_label("Email", exact=True).fill(person["email"])
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/confirm\.html\?email="))
    expect(page.get_by_text("Local stack: Cognito is emulated, so any 6-digit code confirms "
                            "your account.")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value(person["email"])
    page.get_by_label("Confirmation code", exact=True).fill(CODE)
    page.get_by_role("button", name="Confirm account").click()

    expect(page).to_have_url(re.compile(r"/sign-in\.html\?confirmed=1"))
    expect(page.get_by_role("status").filter(has_text="Your email is confirmed")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value(person["email"])
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/index\.html$"))
    signed_in_name = page.get_by_test_id("signed-in-name")
    expect(signed_in_name).to_have_text(person["display_name"])
    expect(header_sign_in_link(page)).to_have_count(0)

    page.reload()
    expect(signed_in_name).to_have_text(person["display_name"])

    with page.expect_navigation():  # signing out takes the visitor home
        page.get_by_test_id("sign-out").click()
    expect(header_sign_in_link(page)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/index\.html$"))
    expect(signed_in_name).to_have_count(0)
    assert stored_session(page) is None

    page.reload()
    expect(header_sign_in_link(page)).to_be_visible()
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_call_now_still_calls_after_the_visitor_signs_up_confirms_and_signs_in(page: Page, browser_log):
    """Call now sends a visitor to sign in and back to the call room; a visitor without an account
    goes through sign-up and the code on the way, and still lands in the room."""
    person = new_person()
    room = "/call.html?helper=somehelper"
    page.goto(f"/sign-in.html?next={quote(room, safe='')}")  # where Call now sends a visitor
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/sign-up\.html\?next="))
    fill_sign_up_form(page, person)

    expect(page).to_have_url(re.compile(r"/confirm\.html\?email=.*&next="))
    page.get_by_label("Confirmation code", exact=True).fill(CODE)
    page.get_by_role("button", name="Confirm account").click()
    expect(page).to_have_url(re.compile(r"/sign-in\.html\?confirmed=1.*&next="))
    page.get_by_label("Password", exact=True).fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(room) + "$"))
    assert browser_log.csp_violations() == []


def test_a_next_address_on_another_site_is_not_passed_on_to_sign_up(page: Page):
    page.goto(f"/sign-in.html?next={quote('https://evil.example/', safe='')}")
    expect(page.get_by_role("link", name="Create an account")).to_have_attribute("href", "/sign-up.html")


def test_sign_up_with_a_weak_password_shows_the_servers_message_beside_the_password(
        page: Page, browser_log):
    person = {**new_person(), "password": "weakpass"}
    page.goto("/sign-up.html")
    refused = page.request.post(api_url(page, "/auth/sign-up"), data={
        k: person[k] for k in ("email", "password", "display_name", "username")})
    assert refused.status == 400
    server_message = refused.json()["error"]["message"]

    fill_sign_up_form(page, person)
    password = page.get_by_label("Password", exact=True)

    error = page.locator("#password-error")
    expect(error).to_have_text(server_message)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    expect(password).to_be_focused()
    expect(page).to_have_url(re.compile(r"/sign-up\.html$"))
    expect(page.get_by_role("button", name="Create account")).to_be_enabled()

    password.fill("x")
    expect(error).to_be_empty()
    expect(password).not_to_have_attribute("aria-invalid", "true")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []


def test_sign_up_marks_every_field_the_server_refused_at_once(page: Page, browser_log):
    person = new_person()
    page.goto("/sign-up.html")
    fill_sign_up_form(page, person | {"username": "x", "email": "not-an-email", "password": "weakpass"})

    for name in ("email", "password", "username"):
        expect(page.locator(f"#{name}-error")).not_to_be_empty()
        expect(page.get_by_label(name.capitalize(), exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()  # the first one the server named
    expect(page.locator("#display_name-error")).to_be_empty()
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []


def test_resend_code_on_the_confirm_page_says_a_new_code_was_sent(page: Page, browser_log):
    person = new_person()
    page.goto("/index.html")
    created = page.request.post(api_url(page, "/auth/sign-up"), data={
        k: person[k] for k in ("email", "password", "display_name", "username")})
    assert created.status == 201, created.text()

    page.goto(f"/confirm.html?email={quote(person['email'])}")
    page.get_by_role("button", name="resend code").click()

    expect(page.get_by_role("status").filter(has_text="We sent a new code")).to_contain_text(
        person["email"])
    expect(page.locator("form [role=alert]")).to_be_empty()
    assert browser_log.unexpected() == []


def test_signing_up_with_an_email_that_has_an_account_looks_like_any_sign_up(page: Page, browser_log):
    owner = new_person()
    create_confirmed_account(page, owner)
    again = new_person() | {"email": owner["email"]}

    page.goto("/sign-up.html")
    fill_sign_up_form(page, again)

    expect(page).to_have_url(re.compile(r"/confirm\.html\?email="))
    expect(page.locator("[data-intro-with-email]")).to_contain_text(owner["email"])
    expect(page.locator("[data-intro-with-email]")).to_contain_text("already had an account")
    assert browser_log.unexpected() == []


def test_the_page_address_editor_says_how_often_the_username_may_change(page: Page, browser_log):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_and_land_home(page, person)
    page.goto("/become-a-helper.html")
    form = page.locator("[data-username-form]")
    limit = form.locator("[data-username-limit]")
    expect(limit).to_have_text("You can change your username once every 30 days.")

    form.get_by_label("Username", exact=True).fill(person["username"] + "-x")
    form.get_by_role("button", name="Change username").click()
    expect(form.get_by_role("status")).to_contain_text("Your page address is now")
    expect(limit).to_contain_text("once every 30 days; your next change can be on")

    form.get_by_label("Username", exact=True).fill(person["username"] + "-y")
    form.get_by_role("button", name="Change username").click()
    expect(form.locator("#username-error, [role=alert]").filter(has_text="30 days").first).to_be_visible()
    assert browser_log.unexpected(r"status of 409") == []


def test_sign_in_with_a_wrong_password_shows_the_servers_error(
        page: Page, browser_log):
    person = new_person()
    create_confirmed_account(page, person)
    refused = page.request.post(api_url(page, "/auth/sign-in"),
                                data={"email": person["email"], "password": "Wrong-Password-1"})
    assert refused.status == 401
    server_message = refused.json()["error"]["message"]

    sign_in_through_form(page, person, password="Wrong-Password-1")

    expect(page.locator("form [role=alert]")).to_have_text(server_message)
    expect(page).to_have_url(re.compile(r"/sign-in\.html$"))
    expect(header_sign_in_link(page)).to_be_visible()
    assert stored_session(page) is None
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(REFUSED_REQUEST) == []


@pytest.mark.parametrize("next_path, lands_on", [
    ("https://evil.example/steal", "/index.html"),
    ("//evil.example/steal", "/index.html"),
    ("/\\evil.example/steal", "/index.html"),
    ("/index.html#categories", "/index.html#categories"),
])
def test_sign_in_returns_only_to_pages_of_this_site(page: Page, next_path: str, lands_on: str):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_through_form(page, person, next_path=next_path)
    expect(page.get_by_test_id("signed-in-name")).to_have_text(person["display_name"])
    site = page.evaluate("location.origin")
    assert page.url == site + lands_on


def test_expired_access_token_is_refreshed_without_signing_out(page: Page,
                                                               browser_log):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_and_land_home(page, person)

    tamper_with_session(page, expires_at=0)
    page.reload()

    expect(page.get_by_test_id("signed-in-name")).to_have_text(person["display_name"])
    assert stored_session(page)["expires_at"] > time.time() * 1000
    assert browser_log.unexpected() == []


def test_refused_access_token_is_refreshed_once_and_the_person_stays_signed_in(page: Page):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_and_land_home(page, person)

    tamper_with_session(page, access_token="not-a-token")
    page.reload()

    expect(page.get_by_test_id("signed-in-name")).to_have_text(person["display_name"])
    assert stored_session(page)["access_token"] != "not-a-token"


def test_session_that_cannot_be_renewed_shows_the_visitor_as_signed_out(page: Page):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_and_land_home(page, person)

    tamper_with_session(page, access_token="not-a-token", refresh_token="not-a-token")
    page.reload()

    expect(header_sign_in_link(page)).to_be_visible()
    assert stored_session(page) is None


def test_sign_out_revokes_the_session_on_the_server(page: Page):
    person = new_person()
    create_confirmed_account(page, person)
    sign_in_and_land_home(page, person)
    refresh_token = stored_session(page)["refresh_token"]

    with page.expect_navigation():  # signing out takes the visitor home
        page.get_by_test_id("sign-out").click()
    expect(header_sign_in_link(page)).to_be_visible()

    renewed = page.request.post(api_url(page, "/auth/refresh"),
                                data={"refresh_token": refresh_token})
    assert renewed.status in (400, 401), renewed.text()


def test_sign_out_everywhere_from_the_account_menu_ends_the_other_devices_sessions_too(page: Page):
    person = new_person()
    create_confirmed_account(page, person)
    other_device = page.request.post(api_url(page, "/auth/sign-in"),
                                     data={"email": person["email"], "password": person["password"]}).json()
    sign_in_and_land_home(page, person)

    page.get_by_test_id("signed-in-name").click()  # opens the account menu
    with page.expect_navigation():  # signing out takes the visitor home
        page.get_by_test_id("sign-out-everywhere").click()
    expect(header_sign_in_link(page)).to_be_visible()
    assert stored_session(page) is None

    elsewhere = page.request.get(api_url(page, "/me"),
                                 headers={"Authorization": f"Bearer {other_device['access_token']}"})
    assert elsewhere.status == 401, elsewhere.text()


@pytest.mark.parametrize("path", ["/index.html", "/sign-up.html", "/confirm.html", "/sign-in.html"])
def test_every_page_has_landmarks_and_loads_cleanly_under_the_csp(
        page: Page, browser_log, path: str):
    page.goto(path)
    expect(page.get_by_role("banner").get_by_role("link", name="interKanect")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_be_visible()
    expect(header_sign_in_link(page)).to_be_visible()
    assert browser_log.unexpected() == []


@pytest.mark.parametrize("viewport", [PHONE])
def test_on_a_phone_the_menu_button_reveals_the_navigation(page: Page, viewport: dict):
    page.goto("/index.html")
    menu = page.get_by_role("button", name="Menu")
    expect(header_sign_in_link(page)).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(header_sign_in_link(page)).to_be_visible()

    page.keyboard.press("Escape")
    expect(header_sign_in_link(page)).to_be_hidden()
    expect(menu).to_be_focused()
