"""Contract tests for the notification centre's store: the in-memory twin and DynamoDB (moto over
HTTP) pass the same tests — notices newest first in pages, each person's their own, an unread count
that adds up and reading all that zeroes it (and never moves the read mark back), preferences
kept beside the count without either clobbering the other, and the TTL kept."""
from __future__ import annotations

import pytest

from chalicelib.adapters.notices import InMemoryNoticeStore, NoticeState
from chalicelib.domain.notices import Notice
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration
NOW = 1_800_000_000


@pytest.fixture
def dynamo(app_env):
    """The notice tables of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.notices import DynamoNoticeStore
    from chalicelib.adapters.tables.notices import NoticeRecord, NoticeStateRecord

    with own_tables(app_env.settings(), NoticeRecord, NoticeStateRecord, prefix="nt"):
        yield DynamoNoticeStore()


@pytest.fixture(params=["twin", "dynamo"])
def store(request):
    return InMemoryNoticeStore() if request.param == "twin" else request.getfixturevalue("dynamo")


def _notice(user_id: str, n: int, *, at: int | None = None) -> Notice:
    return Notice(user_id=user_id, notice_id=f"id{n:03d}", at=at if at is not None else NOW + n, kind="missed_call",
                  category="calls", title=f"Title {n} \u2014 \u00e9", body=f"Body {n}" if n % 2 else "",
                  url=f"/x?n={n}")


def test_notices_come_newest_first_in_pages_each_persons_own(store):
    for n in range(5):
        assert store.add(_notice("ada", n), ttl=NOW + 100) == n + 1
    store.add(_notice("bob", 9), ttl=None)
    first, more = store.page("ada", limit=2)
    assert [n.notice_id for n in first] == ["id004", "id003"] and more
    rest, more = store.page("ada", limit=5, before=first[-1].sort_key)
    assert [n.notice_id for n in rest] == ["id002", "id001", "id000"] and not more
    assert rest[-1] == _notice("ada", 0)  # every field as written, an empty body too
    assert [n.user_id for n in store.page("bob", limit=5)[0]] == ["bob"]
    assert store.page("nobody", limit=5) == ([], False)


def test_the_same_second_orders_by_id(store):
    store.add(_notice("ada", 2, at=NOW), ttl=None)
    store.add(_notice("ada", 1, at=NOW), ttl=None)
    assert [n.notice_id for n in store.page("ada", limit=5)[0]] == ["id002", "id001"]


def test_reading_all_zeroes_the_count_and_the_mark_only_moves_forward(store):
    assert store.state("ada") == NoticeState()
    for n in range(3):
        store.add(_notice("ada", n), ttl=None)
    newest = store.page("ada", limit=1)[0][0].sort_key
    store.mark_all_read("ada", through=newest)
    assert (store.state("ada").unread, store.state("ada").read_through) == (0, newest)
    older = store.page("ada", limit=3)[0][-1].sort_key
    store.mark_all_read("ada", through=older)
    assert store.state("ada").read_through == newest
    assert store.add(_notice("ada", 7), ttl=None) == 1
    store.mark_all_read("nobody", through=None)
    assert store.state("nobody").unread == 0


def test_preferences_and_the_count_never_clobber_each_other(store):
    store.add(_notice("ada", 1), ttl=None)
    store.set_preferences("ada", {"calls": {"email": False, "push": True}})
    assert store.add(_notice("ada", 2), ttl=None) == 2
    state = store.state("ada")
    assert state.unread == 2 and state.preferences == {"calls": {"email": False, "push": True}}
    store.set_preferences("ada", {"calls": {"email": True, "push": False}})
    assert store.state("ada").preferences == {"calls": {"email": True, "push": False}}
    assert store.state("ada").unread == 2


def test_the_ttl_is_kept_on_the_item(dynamo):
    from chalicelib.adapters.tables.notices import NoticeRecord

    notice = _notice("ada", 1)
    dynamo.add(notice, ttl=NOW + 180 * 86400)
    assert int(NoticeRecord.get("ada", notice.sort_key).ttl) == NOW + 180 * 86400
