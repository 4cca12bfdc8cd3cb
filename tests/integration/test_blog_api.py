"""The blog over HTTP on the local stack: a Helper writes a draft, schedules it, the publish job
puts it out once, edits and unpublishes it; a taken address is a 409 `slug_taken` and bad input a
400 that changes nothing; a reader reports a post and ops hides it; the blog's pages carry
schema.org `BlogPosting`, its feeds parse as RSS and Atom, a cover is served redrawn, and an old
username's blog moves to the new one."""
from __future__ import annotations

import dataclasses
import email
import io
import json
import re
import time
import uuid
from email import policy

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.pages import become_helper
from tests.support.payments import ops_person

pytestmark = pytest.mark.integration


def write(api, helper, **fields):
    answer = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30,
                           json={"title": "Five leaks you can fix", "body": "## Tools\n\nA **wrench**.", **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()["post"]


def public_slugs(api, username):
    answer = requests.get(f"{api}/helpers/{username}/posts", timeout=30)
    assert answer.status_code == 200, answer.text
    return [p["slug"] for p in answer.json()["posts"]]


def time_passes(app_env, helper_id: str, post_id: str) -> None:
    """The post's scheduled time comes: moved to a moment ago in its table (the test's clock is real)."""
    store = app_env.post_store()
    post = store.get(helper_id, post_id)
    assert store.change(post, dataclasses.replace(post, publish_at=int(time.time()) - 5, version=post.version + 1))


def test_a_post_from_draft_to_schedule_to_published_by_the_job_then_edited_and_unpublished(local_stack, app_env):
    from chalicelib.services.posts import publish_due_posts

    api = local_stack["api"]
    helper = become_helper(api, "blogger")
    draft = write(api, helper)
    assert (draft["status"], draft["slug"], draft["body_html"]) == (
        "draft", "five-leaks-you-can-fix", "<h2>Tools</h2>\n<p>A <strong>wrench</strong>.</p>")
    assert draft["url"] == f"/h/{helper.username}/blog/five-leaks-you-can-fix"
    assert public_slugs(api, helper.username) == []
    assert requests.get(f"{api}/helpers/{helper.username}/posts/{draft['slug']}", timeout=30).status_code == 404

    at = int(time.time()) + 3600
    scheduled = requests.put(f"{api}/me/posts/{draft['post_id']}", headers=helper.auth, timeout=30,
                             json={"status": "scheduled", "publish_at": at, "version": draft["version"]})
    assert scheduled.status_code == 200 and scheduled.json()["post"]["publish_at"] == at, scheduled.text
    assert public_slugs(api, helper.username) == []

    time_passes(app_env, helper.tokens['user_id'], draft["post_id"])
    assert public_slugs(api, helper.username) == [draft["slug"]]  # shown from its time, before the job
    assert publish_due_posts(desk=app_env.post_desk(), now=int(time.time())) >= 1
    mine = requests.get(f"{api}/me/posts/{draft['post_id']}", headers=helper.auth, timeout=30).json()["post"]
    assert mine["status"] == "published" and mine["published_at"] is not None and mine["publish_at"] is None

    edited = requests.put(f"{api}/me/posts/{draft['post_id']}", headers=helper.auth, timeout=30,
                          json={"title": "Six leaks you can fix", "excerpt": "Six of them."})
    assert edited.status_code == 200, edited.text
    shown = requests.get(f"{api}/helpers/{helper.username}/posts/{draft['slug']}", timeout=30).json()["post"]
    assert (shown["title"], shown["excerpt"], shown["published_at"]) == (
        "Six leaks you can fix", "Six of them.", mine["published_at"])
    stale = requests.put(f"{api}/me/posts/{draft['post_id']}", headers=helper.auth, timeout=30,
                         json={"title": "Lost", "version": draft["version"]})
    assert stale.status_code == 409

    down = requests.post(f"{api}/me/posts/{draft['post_id']}/unpublish", headers=helper.auth, timeout=30)
    assert down.status_code == 200 and down.json()["post"]["status"] == "draft"
    assert public_slugs(api, helper.username) == []
    listed = requests.get(f"{api}/me/posts", headers=helper.auth, timeout=30).json()
    assert [p["post_id"] for p in listed["posts"]] == [draft["post_id"]] and listed["next_cursor"] is None
    gone = requests.delete(f"{api}/me/posts/{draft['post_id']}", headers=helper.auth, timeout=30)
    assert gone.status_code == 200 and requests.get(f"{api}/me/posts", headers=helper.auth,
                                                    timeout=30).json()["posts"] == []


def test_a_taken_address_is_a_409_and_bad_posts_are_a_400_that_change_nothing(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "blogger")
    first = write(api, helper, status="published")
    taken = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30,
                          json={"title": "Other", "body": "", "slug": first["slug"]})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slug_taken", taken.text
    assert write(api, helper)["slug"] == f"{first['slug']}-2"  # one made from the title gets a number
    for body, field in (({"title": "", "body": "x"}, "title"), ({"title": "x", "status": "live"}, "status"),
                        ({"title": "x", "status": "scheduled", "publish_at": 5}, "publish_at"),
                        ({"title": "x", "slug": "Not a slug"}, "slug"), ({"title": "x", "body": 5}, "body"),
                        ({"title": "x", "status": "scheduled", "publish_at": int(time.time()) + 400 * 86400},
                         "publish_at")):
        answer = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30, json=body)
        assert answer.status_code == 400 and answer.json()["error"].get("field") == field, (body, answer.text)
    assert len(requests.get(f"{api}/me/posts", headers=helper.auth, timeout=30).json()["posts"]) == 2
    bad_edit = requests.put(f"{api}/me/posts/{first['post_id']}", headers=helper.auth, timeout=30,
                            json={"status": "scheduled"})
    assert bad_edit.status_code == 400
    assert requests.get(f"{api}/me/posts/{first['post_id']}", headers=helper.auth,
                        timeout=30).json()["post"]["status"] == "published"
    stranger = sign_up_and_in(api, "stranger")
    assert requests.post(f"{api}/me/posts", headers=stranger.auth, timeout=30,
                         json={"title": "x", "body": ""}).status_code == 404  # no Helper page
    assert requests.put(f"{api}/me/posts/{first['post_id']}", headers=stranger.auth, timeout=30,
                        json={"title": "Mine now"}).status_code == 404


def test_a_reader_reports_a_post_and_ops_hides_it(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "blogger")
    post = write(api, helper, status="published")
    reader = sign_up_and_in(api, "reader")
    helper_id = requests.get(f"{api}/me", headers=helper.auth, timeout=30).json()["user_id"]
    key = f"{helper_id}/{post['post_id']}"

    def report(person, **body):
        return requests.post(f"{api}/reports", headers=person.auth, timeout=30,
                             json={"kind": "post", "id": key, "reason": "spam", **body})

    first = report(reader, note="Ads only.")
    assert first.status_code == 201 and first.json()["received"], first.text
    assert report(reader).status_code == 409
    assert report(sign_up_and_in(api, "reader"), reason="boring").status_code == 400
    assert report(helper).status_code == 409
    ops = ops_person(local_stack)
    assert requests.get(f"{api}/ops/moderation", headers=reader.auth, timeout=30).status_code == 403
    queue = []
    cursor = None
    while True:
        page = requests.get(f"{api}/ops/moderation", headers=ops.auth, timeout=30,
                            params={"limit": 50, **({"cursor": cursor} if cursor else {})}).json()
        queue += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    [mine] = [card for card in queue if card["subject"] == f"post:{key}"]
    assert (mine["reasons"][0]["reason"], mine["notes"][0]["note"], mine["owner"]["username"],
            mine["item"]["title"]) == ("spam", "Ads only.", helper.username, post["title"])
    decide = f"{api}/ops/moderation/decision"
    assert requests.post(decide, headers=ops.auth, timeout=30,
                         json={"kind": "post", "id": key, "decision": "hide"}).status_code == 400
    hidden = requests.post(decide, headers=ops.auth, timeout=30,
                           json={"kind": "post", "id": key, "decision": "hide", "note": "Advertising."})
    assert hidden.status_code == 200 and hidden.json()["reports_closed"] == 1, hidden.text
    assert public_slugs(api, helper.username) == []
    seen = requests.get(f"{api}/me/posts/{post['post_id']}", headers=helper.auth, timeout=30).json()["post"]
    assert (seen["hidden"], seen["hidden_note"]) == (True, "Advertising.")
    assert requests.post(decide, headers=ops.auth, timeout=30,
                         json={"kind": "post", "id": key, "decision": "keep"}).status_code == 409


def json_ld(html: str) -> dict:
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(data)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1800, 1000), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_the_blog_pages_feeds_and_cover_and_an_old_username_moving(local_stack, app_env):
    import feedparser

    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api, "blogger")
    first = write(api, helper, title="First steps", status="published")
    store = app_env.post_store()  # published an hour before the next one
    kept = store.get(helper.tokens["user_id"], first["post_id"])
    earlier = dataclasses.replace(kept, published_at=kept.published_at - 3600, version=kept.version + 1)
    assert store.change(kept, earlier)
    post = write(api, helper, title="Fixing a tap", body="Turn **off** the water.\n\n[poll:001800000000-abcd1234]",
                 status="published")
    upload = requests.post(f"{api}/me/posts/{post['post_id']}/image-upload", headers=helper.auth, timeout=30,
                           json={"content_type": "image/png"}).json()
    assert upload["key"].startswith(f"incoming/posts/{helper.tokens['user_id']}/{post['post_id']}/")
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("c.png", png(), "image/png")},
                         allow_redirects=False, timeout=30)
    assert sent.status_code in (200, 201, 204, 303), sent.text
    covered = requests.post(f"{api}/me/posts/{post['post_id']}/images", headers=helper.auth, timeout=30,
                            json={"key": upload["key"], "cover": True})
    assert covered.status_code == 200, covered.text
    cover = covered.json()["post"]["cover"]
    served = requests.get(f"{site}{cover}", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/webp"
    assert requests.get(f"{site}/{upload['key']}", timeout=30).status_code == 404  # the upload is never served

    page = requests.get(f"{site}/h/{helper.username}/blog/{post['slug']}", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    html = page.text
    data = json_ld(html)
    assert (data["@type"], data["headline"], data["url"]) == (
        "BlogPosting", "Fixing a tap", f"{site}/h/{helper.username}/blog/{post['slug']}")
    assert data["image"] == [f"{site}{cover}"] and data["author"]["url"] == f"{site}/h/{helper.username}"
    assert f'<link rel="canonical" href="{site}/h/{helper.username}/blog/{post["slug"]}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<div class="poll-slot" data-poll="001800000000-abcd1234"></div>' in html
    assert "<script>" not in html and " style=" not in html and 'data-report-kind="post"' in html
    csp = page.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]

    blog = requests.get(f"{site}/h/{helper.username}/blog", timeout=30).text
    assert json_ld(blog)["@type"] == "Blog"
    assert blog.index("Fixing a tap") < blog.index("First steps")  # newest first
    assert 'type="application/rss+xml"' in blog and 'type="application/atom+xml"' in blog
    helper_page = requests.get(f"{site}/h/{helper.username}", timeout=30).text
    assert "Latest posts" in helper_page and f"/h/{helper.username}/blog/{post['slug']}" in helper_page
    assert f'<a href="/h/{helper.username}/blog">Blog</a>' in helper_page  # the page's tabs lead to it

    for kind, version in (("rss", "rss20"), ("atom", "atom10")):
        answer = requests.get(f"{site}/h/{helper.username}/blog/{kind}.xml", timeout=30)
        assert answer.status_code == 200 and kind in answer.headers["Content-Type"]
        feed = feedparser.parse(answer.content)
        assert not feed.bozo and feed.version == version, feed.get("bozo_exception")
        assert [e.title for e in feed.entries] == ["Fixing a tap", "First steps"]
        assert feed.entries[0].link == f"{site}/h/{helper.username}/blog/{post['slug']}"
        assert "<strong>off</strong>" in feed.entries[0].description

    renamed = f"renamed_{uuid.uuid4().hex[:8]}"
    assert requests.put(f"{api}/me/username", json={"username": renamed}, headers=helper.auth,
                        timeout=30).status_code == 200
    for old, new in ((f"/h/{helper.username}/blog", f"/h/{renamed}/blog"),
                     (f"/h/{helper.username}/blog/{first['slug']}", f"/h/{renamed}/blog/{first['slug']}"),
                     (f"/h/{helper.username}/blog/rss.xml", f"/h/{renamed}/blog/rss.xml")):
        moved = requests.get(f"{site}{old}", allow_redirects=False, timeout=30)
        assert moved.status_code == 301 and moved.headers["Location"] == new, (old, moved.status_code)
    assert requests.get(f"{site}/h/{renamed}/blog/{first['slug']}", timeout=30).status_code == 200
    assert requests.get(f"{site}/h/{renamed}/blog/no-such-post", timeout=30).status_code == 404

    # A published post given a new address: links to the old one move to it.
    readdressed = requests.put(f"{api}/me/posts/{first['post_id']}", headers=helper.auth, timeout=30,
                               json={"slug": "first-steps-in-plumbing"})
    assert readdressed.status_code == 200, readdressed.text
    moved = requests.get(f"{site}/h/{renamed}/blog/{first['slug']}", allow_redirects=False, timeout=30)
    assert moved.status_code == 301 and moved.headers["Location"] == f"/h/{renamed}/blog/first-steps-in-plumbing"


@pytest.fixture
def follow_desk(app_env, monkeypatch):
    """The follow desk of this process, signing with the stack's own cursor secret (as the
    stack's app does), for sending the announcements here rather than waiting for the job."""
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_CURSOR_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/cursor-secret")["ARN"])
    app_env.reset()
    return app_env.follow_desk()


def test_followers_hear_of_a_post_once_when_it_is_first_published(local_stack, follow_desk):
    from chalicelib.services import follows
    from tests.support.mailbox import emails_to

    api = local_stack["api"]
    helper = become_helper(api, "announcer")
    fan = sign_up_and_in(api, "fan")
    assert requests.put(f"{api}/helpers/{helper.username}/follow", json={"mode": "each"}, headers=fan.auth,
                        timeout=30).status_code == 200
    post = write(api, helper, title=f"Boilers {uuid.uuid4().hex[:6]}", excerpt="Pressure, explained.")
    assert follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20) is not None
    assert not [m for m in emails_to(local_stack["aws"], fan.email) if post["title"] in (m.get("subject") or "")]

    for status in ("published", None):  # published, then unpublished and published again
        if status is None:
            requests.post(f"{api}/me/posts/{post['post_id']}/unpublish", headers=helper.auth, timeout=30)
        answer = requests.put(f"{api}/me/posts/{post['post_id']}", headers=helper.auth, timeout=30,
                              json={"status": "published"})
        assert answer.status_code == 200, answer.text
        follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)
    sent = [m for m in emails_to(local_stack["aws"], fan.email) if post["title"] in (m.get("subject") or "")]
    assert len(sent) == 1, sent
    text = email.message_from_string(sent[0]["raw_data"], policy=policy.default).get_body(("plain",)).get_content()
    assert f"/h/{helper.username}/blog/{post['slug']}" in text


def test_the_blog_pages_ten_posts_at_a_time_newest_first(local_stack, app_env):
    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api, "prolific")
    store = app_env.post_store()
    for n in range(11):  # published a minute apart, the first the oldest
        made = write(api, helper, title=f"Post number {n}", status="published")
        kept = store.get(helper.tokens["user_id"], made["post_id"])
        assert store.change(kept, dataclasses.replace(kept, published_at=kept.published_at - 3600 + 60 * n,
                                                      version=kept.version + 1))
    first = requests.get(f"{site}/h/{helper.username}/blog", timeout=30).text
    titles = re.findall(r'class="post-summary-title"><a href="[^"]+">([^<]+)</a>', first)
    assert titles == [f"Post number {n}" for n in range(10, 0, -1)]
    [older] = re.findall(r'<a class="button button-secondary" href="([^"]+)" rel="next">', first)
    assert older.startswith(f"{site}/h/{helper.username}/blog?cursor=")
    second = requests.get(older.replace("&amp;", "&"), timeout=30).text
    assert re.findall(r'class="post-summary-title"><a href="[^"]+">([^<]+)</a>', second) == ["Post number 0"]
    assert 'rel="next"' not in second
    listed = requests.get(f"{api}/helpers/{helper.username}/posts", params={"limit": 4}, timeout=30).json()
    assert [p["title"] for p in listed["posts"]] == [f"Post number {n}" for n in (10, 9, 8, 7)]
    rest = requests.get(f"{api}/helpers/{helper.username}/posts", timeout=30,
                        params={"limit": 50, "cursor": listed["next_cursor"]}).json()
    assert [p["title"] for p in rest["posts"]] == [f"Post number {n}" for n in range(6, -1, -1)]
    stale = requests.get(f"{site}/h/{helper.username}/blog", params={"cursor": "not-a-cursor"}, timeout=30)
    assert stale.status_code == 200 and "Post number 10" in stale.text  # a stale cursor: the first page
