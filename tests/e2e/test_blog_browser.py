"""The blog in real Chromium on the whole local stack: a Helper writes a post in the editor
(title, Markdown, the server's preview), schedules it for a time in their own zone; when its time
has come the publish job puts it out, a follower gets the email, and it shows on their blog, on
its own page and on their Helper page; the reader reports it. Screenshots at 1280 and 390 px go to /tmp/ui-shots."""
from __future__ import annotations

import dataclasses
import email
import re
import time
from email import policy

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_bookings_browser import shoot
from tests.support.accounts import sign_up_and_in
from tests.support.call_browser import sign_in
from tests.support.moderation import case_of
from tests.support.pages import become_helper
from tests.support.payments import ops_person
from tests.support.store import sample_png

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expectations")]

BODY = "## What you need\n\n- a wrench\n- **ten minutes**\n\n> Turn the water off first.\n\nThen unscrew the cap."


@pytest.fixture
def follow_desk(app_env, monkeypatch):
    """The follow desk of this process, signing as the stack's app does, to send the
    announcements here rather than wait for the stack's job."""
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_CURSOR_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/cursor-secret")["ARN"])
    app_env.reset()
    return app_env.follow_desk()


def test_a_helper_writes_and_schedules_a_post_the_job_publishes_it_and_readers_see_it(
        open_context, local_stack, app_env, follow_desk, browser_log, tmp_path):
    from chalicelib.services.follows import send_announcements
    from chalicelib.services.posts import publish_due_posts
    from tests.support.mailbox import emails_to

    api = local_stack["api"]
    helper = become_helper(api, "writer")
    reader = sign_up_and_in(api, "reader")  # follows the Helper: hears of each new post
    assert requests.put(f"{api}/helpers/{helper.username}/follow", json={"mode": "each"}, headers=reader.auth,
                        timeout=30).status_code == 200

    page = browser_log.watch(open_context(timezone_id="America/New_York").new_page(), "helper")
    sign_in(page, helper.email, helper.password, "/posts.html")
    expect(page.locator("[data-first-post]")).to_be_visible()
    shoot(page, "blog-editor-empty")
    page.get_by_role("link", name="New post").first.click()
    editor = page.locator("[data-post-editor]")
    expect(editor.get_by_role("button", name="Save draft")).to_be_enabled()
    editor.get_by_label("Title").fill("Fix a dripping tap in ten minutes")
    editor.get_by_label("Body, in Markdown").fill(BODY)
    editor.get_by_role("tab", name="Preview").click()
    preview = editor.locator("[data-panel='preview']")
    expect(preview.locator("h2")).to_have_text("What you need")  # the highest heading is an h2
    expect(preview.locator("strong")).to_have_text("ten minutes")
    shoot(page, "blog-editor-preview")
    editor.get_by_role("tab", name="Write").click()

    editor.get_by_label("Schedule").check()
    when = editor.get_by_label("Publish on")
    expect(when).to_be_visible()
    expect(editor.locator("[data-zone-note]")).to_contain_text("Paris")  # the Helper's zone, not the browser's
    shoot(page, "blog-editor-schedule")
    editor.get_by_role("button", name="Schedule").click()
    expect(page.locator("[data-posts-notice]")).to_contain_text("Scheduled: it goes out")
    expect(editor.locator("[data-post-state]")).to_contain_text("Scheduled for")
    post_id = re.search(r"post=([^&]+)", page.url).group(1)

    # A cover and a picture for the body: each goes to S3 and comes back checked and redrawn.
    picture = tmp_path / "tap.png"
    picture.write_bytes(sample_png(hue=0.55, width=1200, height=700))
    editor.locator("[data-cover-file]").set_input_files(str(picture))
    expect(page.locator("[data-posts-notice]")).to_have_text("Cover picture added.")
    expect(editor.locator("[data-cover-preview]")).to_be_visible()
    assert "/media/posts/" in editor.locator("[data-cover-preview]").get_attribute("src")
    editor.locator("[data-inline-file]").set_input_files(str(picture))
    expect(page.locator("[data-posts-notice]")).to_contain_text("Picture added at the end of your post.")
    expect(editor.get_by_label("Body, in Markdown")).to_have_value(re.compile(r"!\[\]\(/media/posts/.+/1600\.webp\)"))
    expect(editor.locator("[data-post-state]")).to_contain_text("Scheduled for")  # still scheduled

    # Before its time, visitors do not see it.
    assert page.request.get(f"/h/{helper.username}/blog").text().count("Fix a dripping tap") == 0

    # Its time comes (the clock moved on in its table), and the publish job runs.
    store = app_env.post_store()
    post = store.get(helper.tokens["user_id"], post_id)
    assert store.change(post, dataclasses.replace(post, publish_at=int(time.time()) - 1, version=post.version + 1))
    assert publish_due_posts(desk=app_env.post_desk(), now=int(time.time())) >= 1
    page.goto("/posts.html")
    row = page.locator(f"[data-post-row='{post_id}']")
    expect(row).to_contain_text("Published")
    shoot(page, "blog-editor-list")

    # The follower's email: in the local mailbox, once, with the post's address.
    send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)
    [sent] = [m for m in emails_to(local_stack["aws"], reader.email) if "Fix a dripping" in (m.get("subject") or "")]
    text = email.message_from_string(sent["raw_data"], policy=policy.default).get_body(("plain",)).get_content()
    assert f"/h/{helper.username}/blog/fix-a-dripping-tap-in-ten-minutes" in text

    # The reader finds it on the blog, on its page and on the Helper page.
    visitor = browser_log.watch(open_context().new_page(), "reader")
    sign_in(visitor, reader.email, reader.password, f"/h/{helper.username}/blog")
    item = visitor.locator(".post-item").first
    expect(item).to_contain_text("Fix a dripping tap in ten minutes")
    expect(item).to_contain_text("What you need a wrench ten minutes")  # the excerpt, from its words
    shoot(visitor, "blog-list")
    item.get_by_role("link", name="Fix a dripping tap in ten minutes").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Fix a dripping tap in ten minutes")
    expect(visitor.locator(".post-body h2")).to_have_text("What you need")
    expect(visitor.locator(".post-body blockquote")).to_contain_text("Turn the water off first.")
    expect(visitor.locator("img.post-cover")).to_be_visible()
    expect(visitor.locator(".post-body img")).to_have_attribute("srcset", re.compile("640w, .+1600w"))
    shoot(visitor, "blog-post")
    visitor.get_by_role("button", name="Report this post").click()
    visitor.get_by_label("Why are you reporting this post?").select_option("misleading")
    visitor.get_by_role("button", name="Send report").click()
    expect(visitor.get_by_test_id("reported")).to_have_text("Thanks — our team will look at it.")

    visitor.goto(f"/h/{helper.username}")
    latest = visitor.locator("[data-latest-posts]")
    expect(latest).to_contain_text("Fix a dripping tap in ten minutes")
    expect(latest.get_by_role("link", name=re.compile("All posts"))).to_have_attribute(
        "href", f"/h/{helper.username}/blog")
    latest.scroll_into_view_if_needed()
    shoot(visitor, "blog-helper-page")

    # Ops hides it from the moderation page, with a note its Helper sees in the editor.
    ops = ops_person(local_stack)
    desk = browser_log.watch(open_context().new_page(), "ops")
    sign_in(desk, ops.email, ops.password, "/ops-reviews.html")
    helper_id = requests.get(f"{api}/me", headers=helper.auth, timeout=30).json()["user_id"]
    card = case_of(desk, f"post:{helper_id}/{post_id}")
    expect(card.get_by_test_id("ops-item-link")).to_have_text("Fix a dripping tap in ten minutes")
    expect(card.get_by_test_id("ops-reasons")).to_contain_text("False or misleading × 1")
    shoot(desk, "blog-ops-reported")
    card.get_by_label("Note (required to hide)").fill("Unsafe advice about gas valves.")
    card.get_by_role("button", name="Hide", exact=True).click()
    expect(desk.get_by_test_id("ops-outcome")).to_contain_text("left the blog")
    page.goto(f"/posts.html?post={post_id}")
    expect(page.locator("[data-hidden-note]")).to_contain_text("Unsafe advice about gas valves.")
    assert "Fix a dripping tap" not in page.request.get(f"/h/{helper.username}/blog").text()

    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == [], browser_log.errors


def test_a_poll_placed_in_a_post_is_filled_on_the_post_page_and_readers_vote_in_it(open_context, local_stack,
                                                                                    browser_log):
    api = local_stack["api"]
    helper = become_helper(api, "pollwriter")
    poll = requests.post(f"{api}/me/polls", headers=helper.auth, timeout=30, json={
        "question": "Which fix next week?", "options": ["Boilers", "Radiators"], "results": "live"}).json()["poll"]
    post = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30, json={
        "title": "Tell me what to write next", "status": "published",
        "body": f"I have two ideas.\n\n[poll:{poll['poll_id']}]\n\nThanks for voting!"}).json()["post"]
    reader = sign_up_and_in(api, "voter")
    page = browser_log.watch(open_context().new_page(), "reader")
    sign_in(page, reader.email, reader.password, post["url"])
    card = page.locator(f".post-body [data-poll-card='{poll['poll_id']}']")
    expect(card).to_contain_text("Which fix next week?")
    card.get_by_role("button", name=re.compile("^Radiators")).click()
    expect(card).to_contain_text("1 vote")
    assert browser_log.csp_violations() == []
    assert browser_log.unexpected() == [], browser_log.errors
