"""Polls over HTTP on the local stack: a Helper asks, people vote and change their votes, the
public sees results as the Helper chose, a closed poll takes no vote."""
from __future__ import annotations

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
