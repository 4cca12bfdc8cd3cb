"""Contract tests for the abuse limiter and the undeliverable addresses: the in-memory twins and
DynamoDB (moto over HTTP) pass the same tests — a fixed window lets `limit` hits through, atomically
under concurrency, and refuses the rest changing nothing; an address is marked by its lowercased
form, marked again, read and cleared once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.adapters.rate_limits import InMemoryRateLimiter, window_of
from chalicelib.adapters.undeliverable import InMemoryUndeliverableStore, Undeliverable
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration
T0 = 1_800_000_030


@pytest.fixture
def tables(app_env):
    """The two tables of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.tables.limits import RateLimitRecord, UndeliverableRecord

    with own_tables(app_env.settings(), RateLimitRecord, UndeliverableRecord, prefix="lim"):
        yield RateLimitRecord


@pytest.fixture(params=["twin", "dynamo"])
def limiter(request):
    if request.param == "twin":
        return InMemoryRateLimiter()
    request.getfixturevalue("tables")
    from chalicelib.adapters.rate_limits import DynamoRateLimiter

    return DynamoRateLimiter()


@pytest.fixture(params=["twin", "dynamo"])
def marks(request):
    if request.param == "twin":
        return InMemoryUndeliverableStore()
    request.getfixturevalue("tables")
    from chalicelib.adapters.undeliverable import DynamoUndeliverableStore

    return DynamoUndeliverableStore()


def test_a_window_lets_the_limit_through_and_refuses_the_rest(limiter):
    start, end = window_of(T0, 60)
    hits = [limiter.hit("ring:bob", limit=3, window=60, now=T0 + n) for n in range(5)]
    assert [(h.allowed, h.count) for h in hits] == [(True, 1), (True, 2), (True, 3), (False, 3), (False, 3)]
    assert hits[-1].retry_after == end - (T0 + 4)
    assert limiter.hit("ring:ann", limit=3, window=60, now=T0).allowed  # another key
    assert limiter.hit("ring:bob", limit=3, window=60, now=end).count == 1  # the next window


def test_concurrent_hits_never_pass_the_limit(limiter):
    with ThreadPoolExecutor(8) as pool:
        hits = list(pool.map(lambda _: limiter.hit("sign-up-email:x@example.com", limit=3, window=3600, now=T0),
                             range(12)))
    assert sum(h.allowed for h in hits) == 3
    assert sorted(h.count for h in hits if h.allowed) == [1, 2, 3]


def test_the_window_item_expires_a_window_after_its_end(tables):
    from chalicelib.adapters.rate_limits import DynamoRateLimiter

    DynamoRateLimiter().hit("ring:bob", limit=6, window=60, now=T0)
    start, end = window_of(T0, 60)
    item = tables.get(f"ring:bob#{start}", consistent_read=True)
    assert (item.hits, item.ttl) == (1, end + 60)


def test_an_address_is_marked_by_its_lowercased_form_marked_again_and_cleared_once(marks):
    assert marks.get("ada@example.com") is None and not marks.clear("ada@example.com")
    marks.mark(Undeliverable("Ada@Example.COM", "bounce:Permanent/General", 100, "fb-1"))
    assert marks.get("ADA@example.com") == Undeliverable("ada@example.com", "bounce:Permanent/General", 100, "fb-1")
    marks.mark(Undeliverable("ada@example.com", "complaint:abuse", 200))
    assert marks.get("ada@example.com") == Undeliverable("ada@example.com", "complaint:abuse", 200, None)
    assert marks.get("bea@example.com") is None
    assert marks.clear("Ada@example.com") and not marks.clear("ada@example.com")
    assert marks.get("ada@example.com") is None
