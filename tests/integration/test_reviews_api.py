"""Reviews over HTTP on a local stack whose minimum session is 0 seconds (any session that
started can be rated, so the test need not wait two minutes; the minimum itself is a unit test):
rating, changing, the refusals, ten submits at once, listing, replying, and the Helper's rank."""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.calls import Peer
from tests.support.reviews import free_session_that_ended
from tests.support.pages import become_helper
from tests.support.stack import RunningStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = RunningStack(tmp_path_factory.mktemp("reviews") / "state",
                           settings={"IK_REVIEW_MIN_SESSION_SECONDS": "0"})
    endpoints = running.start()
    yield endpoints
    running.stop()


def call_without_session(stack, helper, caller) -> str:
    helper_tab, caller_tab = Peer(stack, helper), Peer(stack, caller)
    try:
        caller_tab.ring(helper)
        call_id = helper_tab.call_state("ringing")["call_id"]
        caller_tab.send(action="cancel", call_id=call_id)
        helper_tab.call_state("ended")
    finally:
        helper_tab.close()
        caller_tab.close()
    return call_id


@pytest.fixture(scope="module")
def cast(stack):
    api = stack["api"]
    tag = uuid.uuid4().hex[:6]
    helper = become_helper(api, f"rvh{tag}")
    caller = sign_up_and_in(api, f"rvc{tag}")
    stranger = sign_up_and_in(api, f"rvs{tag}")
    return api, helper, caller, stranger


def put_review(api, person, call_id, **body):
    return requests.put(f"{api}/calls/{call_id}/review", json=body, headers=person.auth, timeout=30)


def reviews_of(api, helper, **params):
    answer = requests.get(f"{api}/helpers/{helper.username}/reviews", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_caller_rates_the_session_once_and_may_change_it(stack, cast):
    api, helper, caller, _ = cast
    call_id = free_session_that_ended(stack, helper, caller)
    before = requests.get(f"{api}/calls/{call_id}/review", headers=caller.auth, timeout=30).json()
    assert before["review"] is None and before["can_review"] is True
    assert before["helper"] == {"display_name": helper.display_name, "username": helper.username}

    created = put_review(api, caller, call_id, stars=4, text="Knew <b>exactly</b> what to do: https://example.com")
    assert created.status_code == 201, created.text
    assert created.json()["review"]["text"] == "Knew <b>exactly</b> what to do: https://example.com"
    changed = put_review(api, caller, call_id, stars=5, text="Even better than I said.")
    assert changed.status_code == 200 and changed.json()["review"]["edited_at"] is not None

    listed = reviews_of(api, helper)
    assert [r["review_id"] for r in listed["reviews"]] == [call_id]
    assert listed["summary"] == {"average": 5.0, "count": 1, "distribution": {"5": 1, "4": 0, "3": 0, "2": 0, "1": 0}}
    page = requests.get(f"{api}/me/page", headers=helper.auth, timeout=30).json()
    assert page["rating"]["count"] == 1 and page["rating"]["distribution"]["5"] == 1


def test_every_refusal_is_a_clear_4xx_and_changes_nothing(stack, cast):
    api, helper, caller, stranger = cast
    call_id = free_session_that_ended(stack, helper, caller)
    no_session = call_without_session(stack, helper, caller)
    refusals = [
        (put_review(api, helper, call_id, stars=5), 403, "forbidden"),  # no reviewing yourself
        (put_review(api, stranger, call_id, stars=5), 403, "forbidden"),  # not the caller
        (put_review(api, caller, "no-such-call", stars=5), 404, "not_found"),
        (put_review(api, caller, no_session, stars=5), 409, "not_reviewable"),  # no session started
        (put_review(api, caller, call_id, stars=6), 400, "invalid_input"),
        (put_review(api, caller, call_id, stars="5"), 400, "invalid_input"),
        (put_review(api, caller, call_id, stars=5, text="x" * 2001), 400, "invalid_input"),
        (requests.put(f"{api}/calls/{call_id}/review", data="{", headers=caller.auth, timeout=30), 400, None),
        (requests.put(f"{api}/calls/{call_id}/review", json={"stars": 5}, timeout=30), 401, "invalid_token"),
        (requests.get(f"{api}/helpers/{helper.username}/reviews", params={"sort": "random"}, timeout=30), 400, None),
        (requests.get(f"{api}/helpers/{helper.username}/reviews", params={"cursor": "forged"}, timeout=30), 400, None),
        (requests.get(f"{api}/helpers/nobody-{uuid.uuid4().hex[:6]}/reviews", timeout=30), 404, "not_found"),
    ]
    for answer, status, code in refusals:
        assert answer.status_code == status, (answer.request.method, answer.request.url, answer.text)
        if code:
            assert answer.json()["error"]["code"] == code, answer.text
    assert requests.get(f"{api}/calls/{call_id}/review", headers=caller.auth, timeout=30).json()["review"] is None


def test_ten_submits_at_once_make_one_review_and_an_exact_count(stack):
    """Ten different submits of one session at once (two tabs, retries, a double click)."""
    api = stack["api"]
    tag = uuid.uuid4().hex[:6]
    helper, caller = become_helper(api, f"rch{tag}"), sign_up_and_in(api, f"rcc{tag}")
    call_id = free_session_that_ended(stack, helper, caller)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda n: put_review(api, caller, call_id, stars=1 + n % 5, text=f"try {n}"),
                                range(10)))
    # Each is created or changes the review; one that keeps losing the race is told to send again.
    assert all(a.status_code in (200, 201) or (a.status_code == 409 and a.json()["error"]["code"] == "conflict")
               for a in answers), [a.text for a in answers]
    assert sum(a.status_code == 201 for a in answers) == 1
    listed = reviews_of(api, helper)
    [review] = listed["reviews"]
    assert listed["summary"]["count"] == 1
    assert listed["summary"]["distribution"][str(review["stars"])] == 1  # the counters follow the last change


def test_the_helper_replies_once_and_nobody_else_can(stack, cast):
    api, helper, caller, stranger = cast
    call_id = free_session_that_ended(stack, helper, caller)
    assert put_review(api, caller, call_id, stars=3, text="Fine.").status_code == 201
    for person in (caller, stranger):
        refused = requests.put(f"{api}/reviews/{call_id}/reply", json={"text": "Me!"}, headers=person.auth, timeout=30)
        assert refused.status_code == 403, refused.text
    replied = requests.put(f"{api}/reviews/{call_id}/reply", json={"text": "Thanks for calling."},
                           headers=helper.auth, timeout=30)
    assert replied.status_code == 201, replied.text
    again = requests.put(f"{api}/reviews/{call_id}/reply", json={"text": "Thanks again."}, headers=helper.auth,
                         timeout=30)
    assert again.status_code == 200 and again.json()["review"]["reply"]["text"] == "Thanks again."
    shown = {r["review_id"]: r for r in reviews_of(api, helper, sort="lowest", limit=50)["reviews"]}
    assert shown[call_id]["reply"]["text"] == "Thanks again."


def test_a_report_reaches_ops_who_hide_the_review_and_it_leaves_the_page(stack, cast):
    from tests.support.payments import ops_person

    api, helper, caller, stranger = cast
    call_id = free_session_that_ended(stack, helper, caller)
    assert put_review(api, caller, call_id, stars=1, text="Call me on 555-0100").status_code == 201
    reported = requests.post(f"{api}/reports", json={"kind": "review", "id": call_id, "reason": "personal_information"},
                             headers=stranger.auth, timeout=30)
    assert reported.status_code == 201, reported.text
    ops = ops_person(stack, f"reviewdesk{uuid.uuid4().hex[:4]}")  # not "mod...": a staff word, refused
    for person in (stranger, helper):  # only ops moderates
        refused = requests.get(f"{api}/ops/moderation", headers=person.auth, timeout=30)
        assert refused.status_code == 403, refused.text
    queue = requests.get(f"{api}/ops/moderation", headers=ops.auth, params={"limit": 50}, timeout=30).json()
    assert f"review:{call_id}" in [card["subject"] for card in queue["items"]]
    decide = f"{api}/ops/moderation/decision"
    hidden = requests.post(decide, headers=ops.auth, timeout=30, json={"kind": "review", "id": call_id,
                                                                     "decision": "hide", "note": "A phone number."})
    assert hidden.status_code == 200 and hidden.json()["state"] == "hidden", hidden.text
    assert call_id not in [r["review_id"] for r in reviews_of(api, helper, limit=50)["reviews"]]
    again = requests.post(decide, headers=ops.auth, timeout=30,
                          json={"kind": "review", "id": call_id, "decision": "keep"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
