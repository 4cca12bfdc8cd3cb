"""Reports and the one moderation queue over HTTP on the local stack: a reader reports a review, a
post, a product and an event of one Helper's; ops finds all four in GET /ops/moderation (one card a
thing, a second report counted on the same card) and hides each; each owner is emailed why (the
local mailbox), each thing leaves where the public saw it, and each decision is in the audit log.
A second report of the same thing is a 409 that changes nothing; past the day's reports, a 429."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from chalicelib.api.openapi import EVENT_EXAMPLE
from tests.support.accounts import sign_up_and_in
from tests.support.mailbox import emails_to
from tests.support.payments import ops_person
from tests.support.stack import deps_pointed_at
from tests.support.store import open_store, physical_product

pytestmark = pytest.mark.integration


def user_id(api: str, person) -> str:
    return requests.get(f"{api}/me", headers=person.auth, timeout=30).json()["user_id"]


def review_of(local_stack: dict, helper_id: str, caller_id: str, text: str) -> str:
    """A shown review of the Helper's by the caller (written straight into the store: a session
    long enough to rate takes minutes; rating itself is tests/integration/test_reviews_api.py)."""
    from chalicelib.domain.reviews import Review

    call_id = f"call-{uuid.uuid4().hex[:12]}"
    with pytest.MonkeyPatch.context() as patch:
        pointed = deps_pointed_at(local_stack, patch)
        deps = next(pointed)
        try:
            assert deps.review_store().create(Review(
                call_id=call_id, helper_id=helper_id, caller_id=caller_id, stars=1, text=text,
                created_at=int(time.time()), session_minutes=15, author_name="Carol"))
        finally:
            next(pointed, None)
    return call_id


def audit_of(local_stack: dict, subject: str) -> list:
    with pytest.MonkeyPatch.context() as patch:
        pointed = deps_pointed_at(local_stack, patch)
        deps = next(pointed)
        try:
            return deps.audit_log().for_subject(subject)
        finally:
            next(pointed, None)


def report(api, person, kind, subject_id, reason="spam", note=""):
    return requests.post(f"{api}/reports", headers=person.auth, timeout=30,
                         json={"kind": kind, "id": subject_id, "reason": reason, "note": note})


def queue_cards(api, ops) -> dict[str, dict]:
    cards, cursor = {}, None
    while True:
        answer = requests.get(f"{api}/ops/moderation", headers=ops.auth, timeout=30,
                              params={"limit": 50, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        cards.update({card["subject"]: card for card in page["items"]})
        cursor = page["next_cursor"]
        if not cursor:
            return cards


def test_reports_of_each_kind_reach_one_queue_and_ops_hides_each(local_stack):
    api, aws = local_stack["api"], local_stack["aws"]
    owner = open_store(api, "reported")
    owner_id = user_id(api, owner)
    author = sign_up_and_in(api, "author")
    reader, second = sign_up_and_in(api, "reader"), sign_up_and_in(api, "second")
    product = physical_product(api, owner, title=f"Miracle pills {uuid.uuid4().hex[:4]}", pictures=0)
    post = requests.post(f"{api}/me/posts", headers=owner.auth, timeout=30,
                         json={"title": f"Buy now {uuid.uuid4().hex[:4]}", "body": "Ads.", "status": "published"})
    assert post.status_code == 201, post.text
    post = post.json()["post"]
    event = requests.post(f"{api}/me/events", headers=owner.auth, timeout=30, json=EVENT_EXAMPLE)
    assert event.status_code == 201, event.text
    event = event.json()["event"]
    review_id = review_of(local_stack, owner_id, user_id(api, author), "Call me on 555-0100")
    things = {"review": review_id, "post": f"{owner_id}/{post['post_id']}",
              "product": f"{owner_id}/{product['slug']}", "event": event["event_id"]}

    searched = requests.get(f"{api}/marketplace/products", params={"q": product["title"]}, timeout=30).json()
    assert product["slug"] in [p["slug"] for p in searched["products"]]
    for kind, subject_id in things.items():
        filed = report(api, reader, kind, subject_id, note=f"<img src=x onerror=alert(1)> {kind}")
        assert filed.status_code == 201, filed.text
        assert filed.json() == {"kind": kind, "id": subject_id, "reason": "spam", "received": True}
    again = report(api, reader, "product", things["product"], reason="counterfeit")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reported", again.text
    assert report(api, owner, "product", things["product"]).status_code == 409  # one's own
    assert report(api, second, "product", things["product"], reason="counterfeit").status_code == 201
    assert report(api, second, "post", "nobody/nothing").status_code == 404
    assert report(api, second, "event", things["event"], reason="fake").status_code == 400  # not an event's reason

    ops = ops_person(local_stack, f"queue{uuid.uuid4().hex[:4]}")
    assert requests.get(f"{api}/ops/moderation", headers=reader.auth, timeout=30).status_code == 403
    cards = queue_cards(api, ops)
    mine = {kind: cards[f"{kind}:{subject_id}"] for kind, subject_id in things.items()}
    assert mine["product"]["count"] == 2 and mine["product"]["reasons"] == [
        {"reason": "counterfeit", "label": "Counterfeit or infringing", "count": 1},
        {"reason": "spam", "label": "Spam or advertising", "count": 1}]  # the second report: the same card
    assert mine["product"]["notes"][0]["note"] == "<img src=x onerror=alert(1)> product"  # text, for textContent
    assert mine["post"]["item"]["url"] == f"/h/{owner.username}/blog/{post['slug']}"
    assert mine["product"]["item"]["url"] == f"/h/{owner.username}/store/{product['slug']}"
    assert mine["event"]["item"]["url"] == f"/h/{owner.username}/events/{event['event_id']}"
    assert mine["review"]["owner"]["user_id"] == user_id(api, author)
    assert {card["owner"]["username"] for kind, card in mine.items() if kind != "review"} == {owner.username}

    decide = f"{api}/ops/moderation/decision"
    assert requests.post(decide, headers=reader.auth, timeout=30,
                         json={"kind": "post", "id": things["post"], "decision": "keep"}).status_code == 403
    assert requests.post(decide, headers=ops.auth, timeout=30,
                         json={"kind": "post", "id": things["post"], "decision": "hide"}).status_code == 400
    for kind, subject_id in things.items():
        hidden = requests.post(decide, headers=ops.auth, timeout=30,
                               json={"kind": kind, "id": subject_id, "decision": "hide", "note": f"Spam {kind}."})
        assert hidden.status_code == 200, hidden.text
        assert hidden.json() == {"kind": kind, "id": subject_id, "decision": "hide", "state": "hidden",
                                 "reports_closed": 2 if kind == "product" else 1}
    twice = requests.post(decide, headers=ops.auth, timeout=30,
                          json={"kind": "event", "id": things["event"], "decision": "keep"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_decided"
    assert not {f"{kind}:{subject_id}" for kind, subject_id in things.items()} & set(queue_cards(api, ops))

    # where the public saw them
    reviews = requests.get(f"{api}/helpers/{owner.username}/reviews", timeout=30).json()["reviews"]
    assert review_id not in [r["review_id"] for r in reviews]
    assert requests.get(f"{api}/helpers/{owner.username}/posts/{post['slug']}", timeout=30).status_code == 404
    assert requests.get(f"{api}/h/{owner.username}/store/{product['slug']}", timeout=30).status_code == 404
    on_sale = requests.get(f"{api}/stores/{owner.username}/products", timeout=30).json()["products"]
    assert product["slug"] not in [p["slug"] for p in on_sale]
    found = requests.get(f"{api}/marketplace/products", params={"q": product["title"]}, timeout=30).json()
    assert product["slug"] not in [p["slug"] for p in found["products"]]  # out of the Marketplace's search too
    assert requests.get(f"{api}/events/{event['event_id']}", timeout=30).status_code == 404
    assert requests.get(f"{api}/h/{owner.username}/events/{event['event_id']}", timeout=30).status_code == 404
    listed = requests.get(f"{api}/helpers/{owner.username}/events", timeout=30).json()
    assert event["event_id"] not in str(listed)
    assert report(api, second, "post", things["post"]).status_code == 404  # hidden: nothing to report
    mine_now = requests.get(f"{api}/me/products/{product['slug']}", headers=owner.auth, timeout=30).json()["product"]
    assert mine_now["status"] == "archived"
    relisted = requests.put(f"{api}/me/products/{product['slug']}", headers=owner.auth, timeout=30, json={
        "title": mine_now["title"], "kind": mine_now["kind"], "description": mine_now["description"],
        "status": "active", "variants": [{k: v[k] for k in ("variant_id", "name", "sku", "price_cents", "stock")}
                                         for v in mine_now["variants"]]})
    assert relisted.status_code == 409 and relisted.json()["error"]["field"] == "status", relisted.text

    # the owners are told why, by email
    subjects = [m.get("subject") for m in emails_to(aws, owner.email)]
    for what in ("blog post", "product", "event"):
        assert f"Your {what} was hidden" in subjects, subjects
    told = [m for m in emails_to(aws, author.email) if "was hidden" in (m.get("subject") or "")]
    assert told and "Spam review." in (told[-1].get("body") or told[-1].get("text") or "")

    # the audit log
    for kind, subject_id in things.items():
        [entry] = audit_of(local_stack, f"{kind}:{subject_id}")
        assert (entry.action, entry.reason, entry.ops_id) == ("moderation.hide", f"Spam {kind}.", user_id(api, ops))


def test_a_person_files_at_most_the_days_reports(local_stack):
    api = local_stack["api"]
    helper = open_store(api, "prolific")
    helper_id = user_id(api, helper)
    posts = []
    for n in range(21):
        written = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30, json={
            "title": f"Post {n} {uuid.uuid4().hex[:4]}", "body": "Hi.", "status": "published"})
        assert written.status_code == 201, written.text
        posts.append(f"{helper_id}/{written.json()['post']['post_id']}")
    eager = sign_up_and_in(api, "eager")
    for subject_id in posts[:20]:
        assert report(api, eager, "post", subject_id).status_code == 201
    assert report(api, eager, "post", posts[0]).status_code == 409  # a duplicate is still a duplicate
    over = report(api, eager, "post", posts[20])
    assert over.status_code == 429, over.text
    assert over.json()["error"]["code"] == "too_many_reports" and "20 reports a day" in over.json()["error"]["message"]
    ops = ops_person(local_stack, f"limit{uuid.uuid4().hex[:4]}")
    assert f"post:{posts[20]}" not in queue_cards(api, ops)  # refused: nothing filed
    assert report(api, sign_up_and_in(api, "other"), "post", posts[20]).status_code == 201


def test_reports_and_decisions_sent_at_once_count_once(local_stack):
    """Ten tabs sending one person's report of one thing at once: one report (201), the rest 409;
    two ops deciding it at once: one decision (200), the other 409, one audit entry."""
    import concurrent.futures

    api = local_stack["api"]
    helper = open_store(api, "raced")
    helper_id = user_id(api, helper)
    post = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30,
                         json={"title": f"Raced {uuid.uuid4().hex[:4]}", "body": "Hi.", "status": "published"})
    subject_id = f"{helper_id}/{post.json()['post']['post_id']}"
    hasty = sign_up_and_in(api, "hasty")
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(pool.map(lambda _: report(api, hasty, "post", subject_id).status_code, range(10)))
    assert codes == [201] + [409] * 9, codes
    first, second = (ops_person(local_stack, f"race{n}{uuid.uuid4().hex[:4]}") for n in range(2))
    cards = queue_cards(api, first)
    assert cards[f"post:{subject_id}"]["count"] == 1

    def decide(ops):
        return requests.post(f"{api}/ops/moderation/decision", headers=ops.auth, timeout=30,
                             json={"kind": "post", "id": subject_id, "decision": "keep", "note": "Fine."}).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        decided = sorted(pool.map(decide, (first, second)))
    assert decided == [200, 409], decided
    assert len(audit_of(local_stack, f"post:{subject_id}")) == 1
