"""Polls in real Chromium on the whole local stack: a Helper asks a question on the Polls page; a
follower on the Helper's page in a second browser votes with one tap and then watches the bars
move by themselves as other people's votes arrive (over the WebSocket, no reload), and sees the
poll closed when the Helper closes it. Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]


def test_a_polls_results_move_live_in_a_second_browser_as_votes_arrive(open_context, local_stack, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "asker")
    fan = sign_up_and_in(api, "pollfan")

    # The Helper asks on the Polls page.
    mine = browser_log.watch(open_context().new_page(), "helper")
    sign_in(mine, helper.email, helper.password, "/polls.html")
    form = mine.locator("[data-ask-form]")
    expect(form.get_by_role("button", name="Ask")).to_be_enabled()
    form.get_by_label("Question").fill("Which topic for Friday's live session?")
    form.get_by_label("Option 1").fill("Decorators")
    form.get_by_label("Option 2").fill("Async IO")
    form.get_by_role("button", name="Add an option").click()
    form.get_by_label("Option 3").fill("Packaging")
    form.get_by_label("Everyone, live").check()
    form.get_by_role("button", name="Ask").click()
    expect(mine.locator("[data-polls-notice]")).to_have_text("Your poll is on your page now.")
    card = mine.locator("[data-poll-card]").first
    expect(card).to_contain_text("Which topic for Friday's live session?")
    expect(card).to_contain_text("0 votes")
    poll_id = card.get_attribute("data-poll-card")

    # A follower opens the Helper's page in another browser and votes with one tap.
    page = browser_log.watch(open_context().new_page(), "fan")
    sign_in(page, fan.email, fan.password, f"/h/{helper.username}")
    poll = page.locator(f"[data-poll-card='{poll_id}']")
    expect(poll).to_contain_text("0 votes")
    poll.get_by_role("button", name=re.compile("^Async IO")).click()
    expect(poll.get_by_role("button", name=re.compile("^Async IO"))).to_have_attribute("aria-pressed", "true")
    expect(poll).to_contain_text("1 vote")
    expect(poll).to_contain_text("You can change your vote until it closes.")

    # Others vote through the API: the follower's page (and the Helper's) move on their own.
    url = f"{api}/helpers/{helper.username}/polls/{poll_id}/vote"
    for n, option in enumerate((0, 0, 2)):
        voter = sign_up_and_in(api, f"voter{n}")
        assert requests.put(url, headers=voter.auth, json={"option": option}, timeout=30).status_code == 200
    expect(poll).to_contain_text("4 votes")
    expect(poll.get_by_role("button", name=re.compile("^Decorators"))).to_contain_text("50%")
    expect(poll.get_by_role("button", name=re.compile("^Async IO"))).to_contain_text("25%")
    expect(card).to_contain_text("4 votes")
    shoot(page, "helper-page-poll")
    shoot(mine, "polls-page")

    # The Helper closes it: the follower's card says so, and the options are no longer buttons.
    mine.locator(f"[data-my-poll='{poll_id}']").get_by_role("button", name="Close poll").click()
    expect(mine.locator("[data-polls-notice]")).to_contain_text("The poll is closed")
    expect(poll).to_contain_text("Closed")
    expect(poll.get_by_role("button")).to_have_count(0)
    assert browser_log.unexpected() == []
