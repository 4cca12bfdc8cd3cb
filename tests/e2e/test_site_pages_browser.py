"""The pages every site has: the FAQ (its figures are this deployment's settings, read through
`GET /site/rules`), Terms, Privacy, a branded 404, a footer that knows who is signed in, and a
header that leads to the Marketplace (and the Library) and fits the window at every width."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, new_identity, sign_up_and_confirm, sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

# A deployment whose rules differ from the defaults the pages are built with.
OTHER_SETTINGS = {
    "IK_FREE_PLAN_FEE_BASIS_POINTS": "1500",
    "IK_REFUND_REQUEST_HOURS": "48",
    "IK_SUPPORT_EMAIL": "care@other-deployment.test",
    "IK_PAYOUT_SCHEDULE": "monthly",
}


@pytest.fixture(scope="module")
def other_stack(tmp_path_factory):
    stack = RunningStack(tmp_path_factory.mktemp("other-settings") / "state", settings=OTHER_SETTINGS)
    yield stack.start()
    stack.stop()


def test_the_faq_states_the_rules_of_the_deployment_it_runs_on(open_context, other_stack, browser_log):
    rules = requests.get(f"{other_stack['api']}/site/rules", timeout=30).json()
    page = browser_log.watch(open_context(base_url=other_stack["site"]).new_page())
    page.goto("/faq.html")
    expect(page.locator("html")).to_have_attribute("data-rules", "live")
    expect(page.locator("[data-rule='free_fee']").first).to_have_text("15%")
    expect(page.locator("[data-rule='free_share']").first).to_have_text("85%")
    expect(page.locator("[data-rule='refund_hours']").first).to_have_text("48 hours")
    expect(page.locator("[data-rule='payout_days']").first).to_have_text("on the 15th of each month")
    support = page.get_by_role("link", name="care@other-deployment.test").first
    expect(support).to_have_attribute("href", "mailto:care@other-deployment.test")
    # Every figure on the page is the API's phrase for it.
    for slot in page.locator("[data-rule]").all():
        assert slot.text_content() == rules["phrases"][slot.get_attribute("data-rule")]
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


@pytest.mark.parametrize("path, heading", [("/faq.html", "Frequently asked questions"),
                                           ("/terms.html", "Terms of service"),
                                           ("/privacy.html", "Privacy notice")])
def test_the_help_pages_load_cleanly_and_are_linked_from_the_footer(page: Page, browser_log, path, heading):
    page.goto("/index.html")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name={"/faq.html": "FAQ", "/terms.html": "Terms",
                                     "/privacy.html": "Privacy"}[path]).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("data-rules", "live")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == []


def test_privacy_says_calls_are_never_recorded_or_stored(page: Page):
    page.goto("/privacy.html")
    expect(page.get_by_role("main")).to_contain_text("we never record or store them")


def test_an_unknown_address_gets_the_branded_404_page(page: Page, local_stack, browser_log):
    answer = requests.get(f"{local_stack['site']}/no-such-page", timeout=30)
    assert answer.status_code == 404 and "This page does not exist" in answer.text
    page.goto("/no/such/page.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist")
    expect(page.get_by_role("banner").get_by_role("search", name="Search helpers")).to_be_visible()
    page.get_by_role("link", name="Browse categories").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help categories")
    assert browser_log.csp_violations() == []


def test_the_footer_offers_sign_in_to_visitors_and_their_own_pages_to_people_signed_in(page: Page, local_stack):
    page.goto("/index.html")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Sign in")).to_be_visible()
    expect(footer.get_by_role("link", name="Payments")).to_have_count(0)

    person = sign_up_and_in(local_stack["api"], "footerreader")
    sign_in(page, person.email, PASSWORD, "/index.html")
    expect(footer.get_by_role("link", name="Payments")).to_be_visible()
    expect(footer.get_by_role("link", name="My page")).to_be_visible()
    expect(footer.get_by_role("link", name="Sign in")).to_have_count(0)


HEADER_OVERFLOW = """() => {
  const bar = document.querySelector(".header-bar");
  return [document.documentElement.scrollWidth - window.innerWidth, bar.scrollWidth - bar.clientWidth];
}"""


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
def test_the_header_leads_to_the_marketplace_and_fits_the_window_at_every_width(page: Page, local_stack, signed_in):
    if signed_in:  # with a long name: the menu under it clips it
        person = new_identity("headerwidth")
        person["display_name"] = "Maximilian Alexander Bartholomew-Fitzgerald"
        sign_up_and_confirm(local_stack["api"], person)
        sign_in(page, person["email"], PASSWORD, "/categories.html")
        expect(page.locator("[data-account-trigger]")).to_be_visible()
    else:
        page.goto("/categories.html")
        expect(page.get_by_role("banner").get_by_role("link", name="Sign up")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Marketplace")).to_have_attribute(
        "href", "/marketplace")
    # From a phone to a wide laptop: the bar never runs past the window (the navigation folds into
    # the Menu button below 64rem).
    for width in (390, 768, 900, 1024, 1100, 1200, 1280, 1360, 1440, 1600):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(HEADER_OVERFLOW) == [0, 0], width
    if signed_in:
        page.get_by_role("button", name=re.compile(r"^Signed in as ")).click()
        expect(page.get_by_test_id("library-link")).to_have_attribute("href", "/library.html")
