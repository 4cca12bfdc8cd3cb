"""Following on the local stack: follow and change how one hears, the exact count on the API and
on the Helper's page, the Following list, one's own page (409); an announcement fans out to the
followers who chose each post and event, the email lands in the local mailbox with
`List-Unsubscribe` and `List-Unsubscribe-Post`, and a one-click POST to that link stops the emails
(the follow stays, with mode none)."""
from __future__ import annotations

import email
import time
import uuid
from email import policy

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper

pytestmark = pytest.mark.integration


@pytest.fixture
def follow_desk(app_env, monkeypatch, local_stack):
    """The follow desk of this process, signing with the stack's own cursor secret, so the
    unsubscribe links it emails open on the stack's API."""
    secrets = app_env.aws_client("secretsmanager")
    monkeypatch.setenv("IK_CURSOR_SECRET_ARN", secrets.describe_secret(SecretId="interkanect/cursor-secret")["ARN"])
    app_env.reset()
    return app_env.follow_desk()


def follow(api, person, helper, mode):
    return requests.put(f"{api}/helpers/{helper.username}/follow", json={"mode": mode}, headers=person.auth,
                        timeout=30)


def state(api, person, helper) -> dict:
    answer = requests.get(f"{api}/helpers/{helper.username}/follow", headers=person.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def arrived(local_stack, address: str, subject: str, *, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in emails_to(local_stack["aws"], address) if subject in (m.get("subject") or "")]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_following_counts_exactly_and_shows_on_the_helpers_page(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "followed")
    fans = [sign_up_and_in(api, "fan") for _ in range(2)]
    assert state(api, fans[0], helper) == {"username": helper.username, "following": False, "mode": None,
                                           "followers": 0, "own_page": False}
    for _ in range(2):
        answer = follow(api, fans[0], helper, "each")
        assert answer.status_code == 200, answer.text
    assert answer.json()["followers"] == 1
    assert follow(api, fans[1], helper, "digest").json() == {"username": helper.username, "following": True,
                                                             "mode": "digest", "followers": 2}
    assert follow(api, fans[1], helper, "none").json()["followers"] == 2  # a new mode, the same count
    assert follow(api, helper, helper, "each").status_code == 409
    assert state(api, helper, helper)["own_page"] is True
    bad = follow(api, fans[0], helper, "weekly")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "mode"
    assert follow(api, fans[0], type(helper)(**{**vars(helper), "username": f"nobody{uuid.uuid4().hex[:8]}"}),
                  "each").status_code == 404

    page = requests.get(f"{local_stack['site']}/h/{helper.username}", timeout=30)
    assert page.status_code == 200 and "2 followers" in page.text and "data-follow-button" in page.text

    mine = requests.get(f"{api}/me/following", headers=fans[1].auth, timeout=30).json()
    assert [(f["username"], f["mode"]) for f in mine["following"]] == [(helper.username, "none")]
    assert mine["cursor"] is None

    for _ in range(2):
        gone = requests.delete(f"{api}/helpers/{helper.username}/follow", headers=fans[1].auth, timeout=30)
        assert gone.status_code == 200 and gone.json()["followers"] == 1
    assert requests.get(f"{api}/me/following", headers=fans[1].auth, timeout=30).json()["following"] == []


def test_an_announcement_is_emailed_once_with_one_click_unsubscribe(local_stack, follow_desk):
    from chalicelib.services import follows

    api = local_stack["api"]
    helper = become_helper(api, "poster")
    each, digest = sign_up_and_in(api, "each"), sign_up_and_in(api, "digest")
    follow(api, each, helper, "each")
    follow(api, digest, helper, "digest")
    post_id = uuid.uuid4().hex[:12]
    for _ in range(2):  # announced twice: one fan-out
        follows.announce(helper_id=helper.tokens["user_id"], kind="post", item_id=post_id, title="Fixing a leak",
                         path=f"/h/{helper.username}/blog/fixing-a-leak", summary="Three steps.", desk=follow_desk,
                         now=int(time.time()))
    follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)
    follows.send_announcements(desk=follow_desk, now=int(time.time()), budget_seconds=20)  # again: nothing more

    [sent] = arrived(local_stack, each.email, "posted: Fixing a leak")
    raw = email.message_from_string(sent["raw_data"], policy=policy.default)
    link = raw["List-Unsubscribe"].strip().strip("<>")
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith(f"{local_stack['site']}/api/follows/unsubscribe?token=")
    text = raw.get_body(("plain",)).get_content()
    assert f"/h/{helper.username}/blog/fixing-a-leak" in text and "Three steps." in text
    assert arrived(local_stack, digest.email, "Fixing a leak", timeout=0) == []  # the digest waits for the week

    preview = requests.get(link, timeout=30)
    assert preview.status_code == 200 and preview.json()["mode"] == "each"  # looking changes nothing
    one_click = requests.post(link, data="List-Unsubscribe=One-Click", timeout=30,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200, one_click.text
    assert one_click.json() == {"helper_name": raw["Subject"].split(" posted:")[0], "username": helper.username,
                                "mode": "none"}
    assert state(api, each, helper)["mode"] == "none" and state(api, each, helper)["followers"] == 2
    tampered = requests.post(link[:-3] + "xyz", data="List-Unsubscribe=One-Click", timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert tampered.status_code == 400 and tampered.json()["error"]["field"] == "token"
    assert requests.get(f"{api}/follows/unsubscribe", timeout=30).status_code == 400


def test_the_weekly_digest_goes_once_to_digest_followers_after_the_week(local_stack, follow_desk):
    from chalicelib.domain.follows import week_of
    from chalicelib.services import follows

    api = local_stack["api"]
    helper = become_helper(api, "weekly")
    reader = sign_up_and_in(api, "digest")
    follow(api, reader, helper, "digest")
    now = int(time.time())
    for kind, title in (("post", "Monday notes"), ("event", "Friday Q&A")):
        follows.announce(helper_id=helper.tokens["user_id"], kind=kind, item_id=uuid.uuid4().hex, title=title,
                         path=f"/h/{helper.username}/{kind}", summary="", desk=follow_desk, now=now)
    _, week_ends = week_of(now)
    for _ in range(10):  # other tests' digests of the week may be due too
        if not follows.send_digests(desk=follow_desk, now=week_ends + 60, budget_seconds=20)["out_of_time"]:
            break
    [digest] = arrived(local_stack, reader.email, "This week from")
    raw = email.message_from_string(digest["raw_data"], policy=policy.default)
    text = raw.get_body(("plain",)).get_content()
    assert "Post: Monday notes" in text and "Event: Friday Q&A" in text
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert follows.send_digests(desk=follow_desk, now=week_ends + 120, budget_seconds=20)["sent"] == 0
    assert len(arrived(local_stack, reader.email, "This week from", timeout=0)) == 1
