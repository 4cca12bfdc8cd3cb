"""Disqualifying a Helper from ops' flags page in real Chromium on the whole local stack: a Helper
flagged by the free-session watch shows with a Disqualify action; ops gives the reason (required)
and disqualifies them; a visitor then finds their page gone (404), and the Helper's own My page
shows the banner with the reason."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.test_ops_watch_browser import flag_free_session_host
from tests.support.accounts import PASSWORD
from tests.support.call_browser import sign_in
from tests.support.pages import become_helper
from tests.support.payments import ops_person

pytestmark = pytest.mark.e2e
REASON = "Hosted 40 free sessions this week after two warnings."


def test_ops_disqualifies_a_flagged_helper_whose_page_goes_and_who_sees_why(
        page: Page, open_context, local_stack, app_env, browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "dqflagged")
    helper_id = helper.tokens["user_id"]
    flag, _ = flag_free_session_host(app_env, helper_id)
    ops = ops_person(local_stack, "dqdesk")

    sign_in(page, ops.email, PASSWORD, "/ops-watch.html")
    row = page.locator(f"[data-testid='ops-flag'][data-flag-id='{flag.flag_id}']")
    expect(row).to_contain_text("Many free sessions")
    # The reason is required: the Helper reads it.
    row.get_by_role("button", name="Disqualify").click()
    expect(row.locator("[data-error-for='reason']")).to_contain_text("Write the reason")
    assert requests.get(f"{local_stack['site']}/h/{helper.username}", timeout=30).status_code == 200
    row.get_by_label("Reason the Helper is told (required)").fill(REASON)
    row.get_by_role("button", name="Disqualify").click()
    expect(row.locator("[data-disqualified]")).to_have_text("Disqualified.")
    expect(row.get_by_role("button", name="Disqualify")).to_have_count(0)
    expect(row.get_by_role("button", name="Close flag")).to_be_visible()  # the flag itself stays open for a note

    # A visitor: the page is gone.
    visitor = open_context().new_page()
    browser_log.watch(visitor, "visitor")
    answer = visitor.goto(f"/h/{helper.username}")
    assert answer is not None and answer.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(re.compile("not found|No Helper", re.I))

    # The Helper: My page says why.
    own = open_context().new_page()
    browser_log.watch(own, "helper")
    sign_in(own, helper.email, PASSWORD, "/become-a-helper.html")
    banner = own.locator("[data-standing-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Your Helper page is suspended.")
    expect(banner.locator("[data-standing-reason]")).to_have_text(REASON)

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected(r"status of 404") == []
    restored = requests.post(f"{api}/ops/people/{helper_id}/restore", headers=ops.auth, timeout=30,
                             json={"reason": "Test over: restored."})
    assert restored.status_code == 200, restored.text
