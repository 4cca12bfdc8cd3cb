""""Notify me" on the in-memory twins: waiting, being told once when the Helper comes online and
free (the presence recount calls it), at most once a day, and what the Helper sees."""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.connections import Connection
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.waiting import InMemoryWaitingList
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.presence import Status
from chalicelib.services import realtime
from chalicelib.services.waiting import WaitingDesk, is_waiting, stop_waiting, tell_waiting, wait_for, waiting_count
from chalicelib.settings import Settings
from tests.support.twins import CALLER, HELPER, OPS, call_desk_twin, presence_book_twin

NOW = 1_790_000_000
DAY = 86_400


@pytest.fixture
def world():
    calls = call_desk_twin(now=NOW)
    book = replace(presence_book_twin(), pages=calls.pages)
    desk = WaitingDesk(waiting=InMemoryWaitingList(), pages=calls.pages, accounts=calls.accounts,
                       presence=book.presence, mailer=InMemoryMailer(), settings=Settings(site_url="https://site.test"))
    book = replace(book, came_online=lambda user_id, now: tell_waiting(user_id, desk=desk, now=now))
    return desk, book


def come_online(book, at: int, connection: str = "c-1") -> Status:
    book.connections.add(Connection(connection, HELPER, at, at + 3600))
    return realtime.refresh_presence(HELPER, book=book, now_ms=at * 1000)


def go_offline(book, at: int, connection: str = "c-1") -> None:
    book.connections.remove(connection)
    realtime.refresh_presence(HELPER, book=book, now_ms=at * 1000)


def subjects(desk, user_id: str) -> list[str]:
    return [m.subject for m in desk.mailer.sent if m.to == f"{user_id}@example.com"]


def test_people_waiting_are_told_once_when_the_helper_comes_online(world):
    desk, book = world
    for person in (CALLER, OPS):
        assert wait_for(username="ada", user_id=person, desk=desk, now=NOW) == {"waiting": True}
    wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW + 5)  # asking twice is waiting once
    assert waiting_count(helper_id=HELPER, desk=desk) == {"count": 2}

    come_online(book, NOW + 60)

    assert subjects(desk, CALLER) == ["Ada is online now"] and subjects(desk, OPS) == ["Ada is online now"]
    assert waiting_count(helper_id=HELPER, desk=desk) == {"count": 0}
    assert is_waiting(username="ada", user_id=CALLER, desk=desk) == {"waiting": False}
    with pytest.raises(Conflict):  # online now: call them
        wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW + 70)


def test_at_most_one_email_a_day_per_helper_and_the_wait_carries_over(world):
    desk, book = world
    wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW)
    come_online(book, NOW + 60)
    go_offline(book, NOW + 120)
    wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW + 130)
    come_online(book, NOW + 600)  # the same day: not told again, still waiting
    assert len(subjects(desk, CALLER)) == 1 and is_waiting(username="ada", user_id=CALLER, desk=desk)["waiting"]
    go_offline(book, NOW + 700)
    come_online(book, NOW + DAY)  # the next day
    assert len(subjects(desk, CALLER)) == 2


def test_stopping_and_coming_online_busy_tells_nobody(world):
    desk, book = world
    wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW)
    stop_waiting(username="ada", user_id=CALLER, desk=desk)
    come_online(book, NOW + 60)
    assert subjects(desk, CALLER) == []
    with pytest.raises(NotFound):
        wait_for(username="nobody", user_id=CALLER, desk=desk, now=NOW)
    with pytest.raises(Conflict):
        go_offline(book, NOW + 90)
        wait_for(username="ada", user_id=HELPER, desk=desk, now=NOW + 100)


def test_a_failing_mailer_does_not_stop_the_helper_coming_online(world):
    desk, book = world
    book = replace(book, came_online=lambda user_id, now: (_ for _ in ()).throw(RuntimeError("SES down")))
    assert come_online(book, NOW) is Status.ONLINE


def test_pages_without_a_helper_are_untouched(world):
    desk, book = world
    desk.pages.save(HelperPage(user_id="other", username="bo", display_name="Bo", headline="x", offer="y"))
    assert waiting_count(helper_id="other", desk=desk) == {"count": 0}
