"""Polls over HTTP on the local stack: a Helper asks, people vote and change their votes, the
public sees results as the Helper chose, a closed poll takes no vote."""
from __future__ import annotations

import time

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.pages import become_helper

pytestmark = pytest.mark.integration


def test_a_poll_from_asking_to_closing(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, "pollster")
    asked = requests.post(f"{api}/me/polls", headers=helper.auth, timeout=30, json={
        "question": "Which day?", "options": ["Mon", "Tue", "Wed"], "results": "after_voting"})
    assert asked.status_code == 201, asked.text
    poll = asked.json()["poll"]
    votes = f"{api}/helpers/{helper.username}/polls/{poll['poll_id']}/vote"
    fans = [sign_up_and_in(api, "voter") for _ in range(2)]
    assert requests.get(votes, headers=fans[0].auth, timeout=30).json()["poll"]["total"] is None  # not yet
    for fan, option in ((fans[0], 0), (fans[1], 2), (fans[0], 2)):
        answer = requests.put(votes, headers=fan.auth, json={"option": option}, timeout=30)
        assert answer.status_code == 200, answer.text
    mine = answer.json()["poll"]
    assert (mine["my_vote"], mine["total"], [o["votes"] for o in mine["options"]]) == (2, 2, [0, 0, 2])
    public = requests.get(f"{api}/helpers/{helper.username}/polls", timeout=30).json()["polls"]
    assert [p["poll_id"] for p in public] == [poll["poll_id"]] and public[0]["total"] is None

    bad = requests.put(votes, headers=fans[0].auth, json={"option": 9}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "option"
    closed = requests.post(f"{api}/me/polls/{poll['poll_id']}/close", headers=helper.auth, timeout=30)
    assert closed.status_code == 200 and closed.json()["poll"]["open"] is False
    late = requests.put(votes, headers=fans[1].auth, json={"option": 0}, timeout=30)
    assert late.status_code == 409 and late.json()["error"]["code"] == "poll_closed"
    after = requests.get(f"{api}/helpers/{helper.username}/polls", timeout=30).json()["polls"][0]
    assert after["total"] == 2  # closed: everyone sees the results
    one = requests.get(f"{api}/helpers/{helper.username}/polls/{poll['poll_id']}", timeout=30)
    assert one.status_code == 200 and one.json()["poll"]["total"] == 2 and one.json()["poll"]["my_vote"] is None
    assert requests.get(f"{api}/helpers/{helper.username}/polls/nope", timeout=30).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"question": "Q", "options": ["one"]}, "options"),
    ({"question": "", "options": ["a", "b"]}, "question"),
    ({"question": "Q", "options": ["a", "b"], "closes_at": 5}, "closes_at"),
    ({"question": "Q", "options": ["a", "b"], "results": "never"}, "results"),
])
def test_bad_polls_are_a_400_naming_the_field(local_stack, body, field):
    api = local_stack["api"]
    helper = become_helper(api, "pollster")
    answer = requests.post(f"{api}/me/polls", headers=helper.auth, json=body, timeout=30)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field, answer.text
    assert requests.get(f"{api}/helpers/{helper.username}/polls", timeout=30).json()["polls"] == []


def test_watchers_see_the_counts_move_live_over_the_websocket(local_stack):
    """Two tabs watch a live poll over the local WebSocket gateway; 30 votes arrive in parallel:
    each tab is sent at most one update a second, and the last update has all 30 votes."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support.calls import Peer

    api = local_stack["api"]
    helper = become_helper(api, "livepoll")
    poll = requests.post(f"{api}/me/polls", headers=helper.auth, timeout=30, json={
        "question": "Tabs or spaces?", "options": ["Tabs", "Spaces"], "results": "live"}).json()["poll"]
    watchers = [Peer(local_stack, sign_up_and_in(api, "watcher")) for _ in range(2)]
    try:
        for n, tab in enumerate(watchers):
            tab.send(action="watch_poll", helper=helper.username, poll_id=poll["poll_id"], id=f"w{n}")
            ack = tab.wait_for(lambda m: m.get("id") == f"w{n}")
            assert (ack["type"], ack["poll"]["total"]) == ("ack", 0), ack
        voters = [sign_up_and_in(api, "livevoter") for _ in range(30)]
        url = f"{api}/helpers/{helper.username}/polls/{poll['poll_id']}/vote"
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda n: requests.put(url, headers=voters[n].auth, json={"option": n % 2},
                                                           timeout=60), range(30)))
        assert [a.status_code for a in answers] == [200] * 30
        for tab in watchers:
            updates = []
            while not updates or updates[-1][1]["total"] < 30:
                message = tab.wait_for(lambda m: m.get("type") == "poll")
                updates.append((time.monotonic(), message["poll"]))
            assert updates[-1][1]["options"] == [{"label": "Tabs", "votes": 15}, {"label": "Spaces", "votes": 15}]
            # sends are a second apart at least: n of them take n - 1 seconds or more
            assert len(updates) <= updates[-1][0] - started + 1, [round(t - started, 2) for t, _ in updates]
    finally:
        for tab in watchers:
            tab.close()
